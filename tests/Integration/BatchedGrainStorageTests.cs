using Flowstate.Domain;
using Flowstate.Silo.Hosting;
using Flowstate.Storage;
using Flowstate.Tests.Infrastructure;
using Flowstate.Usage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Serialization;
using Orleans.Storage;

namespace Flowstate.Tests.Integration;

/// <summary>
/// The fold's grain storage on PostgreSQL: many grains' reads and writes in one statement each, each still checked
/// against its own version as the ADO.NET provider checks it, and earlier versions' states carried over by the migration.
/// </summary>
public sealed class BatchedGrainStorageTests : IAsyncLifetime
{
    private const string Partition = "usage-partition";
    private TestDatabase _db = null!;
    private BatchedGrainStorage _store = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _services = new ServiceCollection().AddSerializer().BuildServiceProvider();
        _store = new BatchedGrainStorage(new RefusingStorage(), _db.ConnectionString,
            new OrleansGrainStorageSerializer(_services.GetRequiredService<Serializer>()), "flowstate");
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _services.DisposeAsync();
        await _db.DisposeAsync();
    }

    private static GrainId Grain(int i) => GrainId.Create(Partition, $"org/claude/p%3Aalice-{i}/2026-11");

    private static UsagePartitionState State(decimal cost) => new()
    {
        Sessions = { ["s1"] = new SessionFact("s1", DateTimeOffset.Parse("2026-11-03T09:00:00Z"), cost, cost, "sonnet", null, 10, null) },
        Version = 3,
    };

    [Fact]
    public async Task ManyGrains_WriteAndReadTogether_EachWithItsOwnVersion()
    {
        var states = Enumerable.Range(0, 300).Select(i => new GrainState<UsagePartitionState>(State(i))).ToList();
        await Task.WhenAll(states.Select((s, i) => _store.WriteStateAsync(Partition, Grain(i), s)));
        Assert.All(states, s => Assert.Equal(("1", true), (s.ETag, s.RecordExists)));
        await Task.WhenAll(states.Take(100).Select((s, i) => _store.WriteStateAsync(Partition, Grain(i), s)));

        var read = Enumerable.Range(0, 300).Select(_ => new GrainState<UsagePartitionState>()).ToList();
        await Task.WhenAll(read.Select((s, i) => _store.ReadStateAsync(Partition, Grain(i), s)));
        Assert.All(read.Select((s, i) => (s, i)), x =>
        {
            Assert.Equal(x.i < 100 ? "2" : "1", x.s.ETag);
            Assert.Equal(x.i, x.s.State!.Sessions["s1"].CostUsd);
        });
        Assert.True(await _db.ScalarAsync<long>("select count(*) from batched_grain_state") == 300);
    }

    [Fact]
    public async Task AGrainWithNoState_ReadsAsNew()
    {
        var state = new GrainState<UsagePartitionState>(State(1)) { ETag = "7", RecordExists = true };
        await _store.ReadStateAsync(Partition, Grain(1), state);
        Assert.Equal((null, false, 0), (state.ETag, state.RecordExists, state.State!.Sessions.Count));
    }

    [Fact]
    public async Task AStaleVersion_IsAConflict_AndChangesNothing()
    {
        var first = new GrainState<UsagePartitionState>(State(1));
        await _store.WriteStateAsync(Partition, Grain(1), first);
        await _store.WriteStateAsync(Partition, Grain(1), first);   // version 2

        var stale = new GrainState<UsagePartitionState>(State(9)) { ETag = "1" };
        await Assert.ThrowsAsync<InconsistentStateException>(() => _store.WriteStateAsync(Partition, Grain(1), stale));
        var fresh = new GrainState<UsagePartitionState>(State(9));   // no ETag: a first write, yet a row is there
        await Assert.ThrowsAsync<InconsistentStateException>(() => _store.WriteStateAsync(Partition, Grain(1), fresh));

        var read = new GrainState<UsagePartitionState>();
        await _store.ReadStateAsync(Partition, Grain(1), read);
        Assert.Equal(("2", 1m), (read.ETag, read.State!.Sessions["s1"].CostUsd));
    }

    [Fact]
    public async Task TwoActivationsOfOneGrain_WritingTogether_OneWins()
    {
        for (var round = 0; round < 20; round++)
        {
            var a = new GrainState<UsagePartitionState>(State(1));
            var b = new GrainState<UsagePartitionState>(State(2));
            var outcomes = await Task.WhenAll(new[] { a, b }.Select(async s =>
            {
                try { await _store.WriteStateAsync(Partition, Grain(1000 + round), s); return true; }
                catch (InconsistentStateException) { return false; }
            }));
            Assert.Equal(1, outcomes.Count(won => won));
        }
    }

    [Fact]
    public async Task Cleared_ReadsAsNew_AndKeepsCountingVersions()
    {
        var state = new GrainState<UsagePartitionState>(State(1));
        await _store.WriteStateAsync(Partition, Grain(1), state);
        await _store.ClearStateAsync(Partition, Grain(1), state);
        Assert.Equal(("2", false), (state.ETag, state.RecordExists));
        var read = new GrainState<UsagePartitionState>();
        await _store.ReadStateAsync(Partition, Grain(1), read);
        Assert.Equal(("2", false, 0), (read.ETag, read.RecordExists, read.State!.Sessions.Count));
    }

    [Fact]
    public async Task StatesOfEarlierVersions_MoveOver_WithTheirBytesAndVersions()
    {
        var serializer = new OrleansGrainStorageSerializer(_services.GetRequiredService<Serializer>());
        await using (var data = NpgsqlDataSource.Create(_db.ConnectionString))
        await using (var insert = data.CreateCommand("""
            insert into orleans_grain_state (grainidhash, graintypehash, grainidn0, grainidn1, graintypestring, grainidextensionstring, serviceid, payloadbinary, version)
            values (1, 2, 0, 0, $1, $2, 'flowstate', $3, 5)
            """))
        {
            insert.Parameters.AddWithValue(Partition);
            insert.Parameters.AddWithValue(Grain(1).Key.ToString()!);
            insert.Parameters.AddWithValue(serializer.Serialize(State(4.5m)).ToArray());
            await insert.ExecuteNonQueryAsync();
        }
        await SchemaMigrator.ApplyAsync(_db.ConnectionString);

        var read = new GrainState<UsagePartitionState>();
        await _store.ReadStateAsync(Partition, Grain(1), read);
        Assert.Equal(("5", 4.5m), (read.ETag, read.State!.Sessions["s1"].CostUsd));
        Assert.Equal(0L, await _db.ScalarAsync<long>("select count(*) from orleans_grain_state where graintypestring = $1", Partition));
        await _store.WriteStateAsync(Partition, Grain(1), read);
        Assert.Equal("6", read.ETag);
    }

    /// <summary>Every other state goes to the inner store; none does here.</summary>
    private sealed class RefusingStorage : IGrainStorage
    {
        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => throw new InvalidOperationException(stateName);
        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => throw new InvalidOperationException(stateName);
        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => throw new InvalidOperationException(stateName);
    }
}
