using Flowstate.Reconciliation;
using Flowstate.Silo.Hosting;
using Flowstate.Silo.Options;
using Flowstate.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

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
    /// A crash between a grain's state write and its push leaves the ledger behind the grain.
    /// Simulated by rolling the ledger back to before the action (what the period would hold had
    /// the push never arrived) and restarting; the repair sweep must re-send the pending pushes.
    /// </summary>
    [Fact]
    public async Task PendingPushes_LostInACrash_AreRepairedAfterRestart()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.ObserveAsync(TestOrg.Session("s", "alice", "2026-11-12T10:00:00Z", 6m));
        await org.BillAsync(TestOrg.BillRow("lost", "alice", "2026-11-12", 6m));
        await org.Row("lost").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "test", null, "t"));
        var expected = await org.Period("2026-11").GetSummaryAsync();

        await cluster.RestartAsync();
        await cluster.Database.ExecuteAsync($"""
            update recon_ledger set status = {(int)RowStatus.AutoMatched}, version = version - 1, pushed_at = '2000-01-01' where org = '{org.Id}';
            delete from period_observed where org = '{org.Id}';
            """);
        Assert.Equal((6m, 0m, 0m), Tuple(await FreshSummary(org)));

        var sweeper = new RepairSweeper(NpgsqlDataSource.Create(cluster.Database.ConnectionString), cluster.Grains,
            new FlowstateOptions { ServiceId = FlowstateCluster.ServiceId }, NullLogger<RepairSweeper>.Instance);
        var repaired = await sweeper.SweepAsync(TimeSpan.FromHours(1));

        Assert.True(repaired >= 2, $"repaired {repaired}");
        Assert.Equal(expected, await org.Period("2026-11").GetSummaryAsync());
        Assert.Equal(0, await sweeper.SweepAsync(TimeSpan.FromHours(1)));
    }

    /// <summary>
    /// The same for attribution: rollups that never received a subject-month's push (its rows
    /// removed, as if the silo died between the subject-month's write and its pushes) are rebuilt
    /// by the repair sweep from the subject-month's stored pending pushes.
    /// </summary>
    [Fact]
    public async Task RollupPushes_LostInACrash_AreRepairedAfterRestart()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.ObserveAsync(TestOrg.Session("s1", "alice", "2026-11-12T10:00:00Z", 6m), TestOrg.Session("s2", "bob", "2026-11-13T10:00:00Z", 2.5m));
        Flowstate.Attribution.IAttributionGrain Attribution() => cluster.Grains.GetGrain<Flowstate.Attribution.IAttributionGrain>(org.Id);
        var request = new Flowstate.Attribution.AttributionRequest(Flowstate.Attribution.Scope.Org,
            Flowstate.Attribution.DateRange.Last30Days, Flowstate.Attribution.CostMode.Market, null);
        Assert.Equal(8.5m, (await Attribution().GetViewAsync(request)).Total);

        await cluster.RestartAsync();
        await cluster.Database.ExecuteAsync($"delete from rollup_contrib where org = '{org.Id}' and subject = 'p:alice'");
        Assert.Equal(2.5m, (await Attribution().GetViewAsync(request)).Total);

        var sweeper = new RepairSweeper(NpgsqlDataSource.Create(cluster.Database.ConnectionString), cluster.Grains,
            new FlowstateOptions { ServiceId = FlowstateCluster.ServiceId }, NullLogger<RepairSweeper>.Instance);
        Assert.True(await sweeper.SweepAsync(TimeSpan.FromHours(1)) >= 1);
        Assert.Equal(8.5m, (await Attribution().GetViewAsync(request)).Total);
        Assert.Equal(0, await sweeper.SweepAsync(TimeSpan.FromHours(1)));
    }

    private async Task<PeriodSummary> FreshSummary(TestOrg org)
    {
        await cluster.RestartAsync();   // the period rebuilds from the (tampered) ledger
        return await org.Period("2026-11").GetSummaryAsync();
    }

    private static (decimal, decimal, decimal) Tuple(PeriodSummary s) => (s.Billed, s.Observed, s.WrittenOff);
}
