using Flowstate.Storage;
using Npgsql;

namespace Flowstate.Tests.Infrastructure;

/// <summary>
/// "Is the ingest log folded up to what was appended?" for tests that ingest with waitFor: DURABLE
/// (or over OTLP) and then read sessions, partitions or rollups: waits until the fold's saved position
/// has passed every item committed when called (<see cref="IngestLogStore.WaitFoldedAsync"/>). No sleeps.
/// </summary>
public static class FoldWait
{
    public static async Task CaughtUpAsync(string connectionString, TimeSpan? timeout = null)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        var bound = timeout ?? TimeSpan.FromSeconds(30);
        if (!await new IngestLogStore(db).WaitFoldedAsync(bound))
            Assert.Fail($"The fold did not reach the log's head (as it was when asked) within {bound.TotalSeconds:0} s.");
    }
}
