using System.Collections.Concurrent;
using Flowstate.Ingestion;
using Flowstate.Storage;
using Flowstate.Tests.Infrastructure;
using Npgsql;

namespace Flowstate.Tests.Integration;

/// <summary>
/// The fold's windows over the ingest log while appenders commit concurrently: every item is in
/// exactly one window, however the appends' commits interleave with the reads.
/// </summary>
public sealed class IngestLogWindowTests : FreshDatabaseTests
{
    private static IngestItem Item(string session) => new("org", session, IngestLogStore.SessionItemId, CallKind.Session, "p", "p:a", "a", "m",
        DateTimeOffset.Parse("2026-11-03T09:00:00Z"), null, 1, 1, 0, null, 1m, 1m, null, null, null, null, null, null, null, 0);

    [Fact]
    public async Task Windows_WhileAppendsCommitConcurrently_CoverEveryItemOnce()
    {
        await using var data = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Db.ConnectionString) { MaxPoolSize = 20 }.ConnectionString);
        var log = new IngestLogStore(data);
        const int Appenders = 8, Batches = 40, PerBatch = 500;
        var appending = Task.WhenAll(Enumerable.Range(0, Appenders).Select(a => Task.Run(async () =>
        {
            for (var b = 0; b < Batches; b++)
                await log.AppendAsync(Enumerable.Range(0, PerBatch).Select(i => Item($"s{a}-{b}-{i}")).ToList());
        })));

        var seen = new ConcurrentDictionary<string, int>();
        var position = FoldPosition.Start;
        async Task ReadAvailableAsync()
        {
            while (await log.NextWindowAsync(position, 3_000, CancellationToken.None) is { } window)
            {
                foreach (var (_, session) in window.Sessions) seen.AddOrUpdate(session, 1, (_, n) => n + 1);
                Assert.True(window.End.CompareTo(position) > 0);
                position = window.End;
            }
        }
        while (!appending.IsCompleted) await ReadAvailableAsync();
        await appending;
        await ReadAvailableAsync();

        Assert.Equal([], seen.Where(s => s.Value != 1).Select(s => s.Key).Take(5).ToArray());
        Assert.Equal(Appenders * Batches * PerBatch, seen.Count);
    }

    [Fact]
    public async Task Position_NeverMovesBack_AndIsSavedOnlyThroughALiveConnection()
    {
        await using var data = NpgsqlDataSource.Create(Db.ConnectionString);
        var log = new IngestLogStore(data);
        await using var conn = await data.OpenConnectionAsync();
        await IngestLogStore.SavePositionAsync(conn, new FoldPosition(900, 12), CancellationToken.None);
        await IngestLogStore.SavePositionAsync(conn, new FoldPosition(899, 99), CancellationToken.None);   // a stale folder's save
        Assert.Equal(new FoldPosition(900, 12), await log.PositionAsync(CancellationToken.None));

        await conn.CloseAsync();   // the lock's connection is gone: so is the right to save
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => IngestLogStore.SavePositionAsync(conn, new FoldPosition(901, 1), CancellationToken.None));
        Assert.Equal(new FoldPosition(900, 12), await log.PositionAsync(CancellationToken.None));
    }
}
