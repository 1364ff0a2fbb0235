using Flowstate.Reconciliation;
using Flowstate.Silo.Hosting;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Integration;

[CollectionDefinition(Name)]
public sealed class DurabilityCollection : ICollectionFixture<FlowstateCluster> { public const string Name = "durability"; }

[Collection(DurabilityCollection.Name)]
public sealed class DurabilityTests(FlowstateCluster cluster)
{
    [Fact]
    public async Task SchemaScripts_ApplyTwiceWithoutError()
    {
        var first = await SchemaMigrator.ApplyAsync(cluster.Database.ConnectionString);
        var second = await SchemaMigrator.ApplyAsync(cluster.Database.ConnectionString);
        Assert.Equal(first, second);
        Assert.True(first.Count >= 5);
        Assert.Equal(20L, await cluster.Database.ScalarAsync<long>("select count(*) from orleansquery"));
    }

    [Fact]
    public async Task AcknowledgedActions_SurviveASiloRestart()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.ObserveAsync(TestOrg.Session("s", "alice", "2026-11-03T10:00:00Z", 9m));
        await org.BillAsync(TestOrg.BillRow("a", "alice", "2026-11-03", 9m), TestOrg.BillRow("b", "bob", "2026-11-03", 4m));
        await org.Row("a").ApplyActionAsync(new RowCommand(RowAction.Confirm, null, null, "t"));
        await org.Row("b").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "orphan", null, "t"));
        var summary = await org.Period("2026-11").GetSummaryAsync();

        await cluster.RestartAsync();

        Assert.Equal(RowStatus.Confirmed, (await org.GetRowAsync("a")).Status);
        Assert.Equal(RowStatus.WrittenOff, (await org.GetRowAsync("b")).Status);
        Assert.Equal(summary, await org.Period("2026-11").GetSummaryAsync());
        Assert.Equal((9m, 4m, 13m), (summary.Observed, summary.WrittenOff, summary.Billed));
    }

    /// <summary>
    /// A crash between a grain's state write and its push: the push to the period fails (and keeps
    /// failing, so the row's own retries do not get through either), then every silo stops. The new
    /// cluster gets no call for the row: the journal replay alone must deliver the pending push.
    /// </summary>
    [Fact]
    public async Task PendingPushes_LostInACrash_AreReplayedWithNoClientCall()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.ObserveAsync(TestOrg.Session("s", "alice", "2026-11-12T10:00:00Z", 6m));
        await org.BillAsync(TestOrg.BillRow("lost", "alice", "2026-11-12", 6m), TestOrg.BillRow("kept", "bob", "2026-11-12", 2m));
        var before = await org.Period("2026-11").GetSummaryAsync();

        var fault = cluster.Faults.FailPushes("billing-row", "ApplyRowAsync", org.Id, times: int.MaxValue);
        await Assert.ThrowsAsync<StorageUnavailableException>(() => org.Row("lost").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "test", null, "t")));
        Assert.Equal(before, await org.Period("2026-11").GetSummaryAsync());   // stored by the row, not yet in the period
        Assert.Equal(1, await cluster.JournalBacklogAsync(org.Id));
        await cluster.RestartAsync(whileDown: fault.Dispose);

        await FlowstateCluster.EventuallyAsync(async () => await cluster.JournalBacklogAsync(org.Id) == 0, "the journal replay re-sends the row's push");
        var after = await org.Period("2026-11").GetSummaryAsync();
        Assert.Equal((8m, 6m, 6m), Tuple(after));
        Assert.Equal(RowStatus.WrittenOff, (await org.GetRowAsync("lost")).Status);
        Assert.Equal(1L, await cluster.Database.ScalarAsync<long>(
            "select count(*) from row_events where org = $1 and row_id = 'claude/lost' and to_status = $2", org.Id, (short)RowStatus.WrittenOff));
    }

    /// <summary>
    /// The same for attribution: a subject-month stored new usage (the ingest was acknowledged) but
    /// its pushes to the rollups failed until the silos stopped; the replay rebuilds the rollups.
    /// </summary>
    [Fact]
    public async Task RollupPushes_LostInACrash_AreReplayedWithNoClientCall()
    {
        var org = await TestOrg.CreateAsync(cluster);
        Flowstate.Attribution.IAttributionGrain Attribution() => cluster.Grains.GetGrain<Flowstate.Attribution.IAttributionGrain>(org.Id);
        var request = new Flowstate.Attribution.AttributionRequest(Flowstate.Attribution.Scope.Org,
            Flowstate.Attribution.DateRange.Last30Days, Flowstate.Attribution.CostMode.Market, null);
        await org.ObserveAsync(TestOrg.Session("s2", "bob", "2026-11-13T10:00:00Z", 2.5m));

        var fault = cluster.Faults.FailPushes("subject-month", "ApplyAsync", "p%3Aalice", times: int.MaxValue);
        var ingested = await org.ObserveAsync(TestOrg.Session("s1", "alice", "2026-11-12T10:00:00Z", 6m));
        Assert.Equal(1, ingested.Accepted);   // durable in the partition and the subject-month
        Assert.Equal(2.5m, (await Attribution().GetViewAsync(request)).Total);
        await cluster.RestartAsync(whileDown: fault.Dispose);

        await FlowstateCluster.EventuallyAsync(async () => await cluster.JournalBacklogAsync(org.Id) == 0, "the journal replay re-sends the rollup pushes");
        Assert.Equal(8.5m, (await Attribution().GetViewAsync(request)).Total);
    }

    private static (decimal, decimal, decimal) Tuple(PeriodSummary s) => (s.Billed, s.Observed, s.WrittenOff);
}
