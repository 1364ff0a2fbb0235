using Flowstate.Storage;
using Npgsql;

namespace Flowstate.Tests.Infrastructure;

/// <summary>
/// "Is the ingest log folded up to what was appended?" for tests that ingest with waitFor: DURABLE
/// (or over OTLP) and then read sessions, partitions or rollups: waits until the fold's saved position
/// has passed every item committed when called. No sleeps: it polls the position, bounded.
/// </summary>
public static class FoldWait
{
    public static async Task CaughtUpAsync(string connectionString, TimeSpan? timeout = null)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        var log = new IngestLogStore(db);
        var head = await log.HeadAsync();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        for (FoldPosition at; (at = await log.PositionAsync(CancellationToken.None)).CompareTo(head) < 0; await Task.Delay(50))
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"The fold is at {at}, not yet at {head} (the log's head when asked) after {(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds:0} s.");
    }
}
