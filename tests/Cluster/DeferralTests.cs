using Flowstate.Reconciliation;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Cluster;

/// <summary>Deferral moves the shared test clock, so these run in their own cluster.</summary>
[CollectionDefinition(Name)]
public sealed class DeferralCollection : ICollectionFixture<FlowstateCluster> { public const string Name = "deferral"; }

[Collection(DeferralCollection.Name)]
public sealed class DeferralTests(FlowstateCluster cluster)
{
    [Fact]
    public async Task Defer_InOpenMonth_WaitsThenReturnsUnreconciledWhenNextMonthBegins()
    {
        cluster.Clock.Set(new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero));
        var org = await TestOrg.CreateAsync(cluster);
        await org.BillAsync(TestOrg.BillRow("d1", "alice", "2026-11-05", 30m));

        var result = await org.Row("d1").ApplyActionAsync(new RowCommand(RowAction.Defer, null, 1, "t"));
        Assert.Equal(RowStatus.Deferred, result.Row.Status);
        Assert.Equal("2026-12", result.Row.DeferredTo.ToString());
        Assert.Equal(30m, result.Summary.Billed);

        var clock = org.Grains.GetGrain<IDeferralClockGrain>(org.Id);
        Assert.Equal(0, await clock.ReturnDueAsync());

        cluster.Clock.Set(new DateTimeOffset(2026, 12, 1, 0, 0, 1, TimeSpan.Zero));
        Assert.Equal(1, await clock.ReturnDueAsync());

        var row = await org.GetRowAsync("d1");
        Assert.Equal((RowStatus.Unreconciled, "2026-12"), (row.Status, row.Period.ToString()));
        var nov = await org.Period("2026-11").GetInboxAsync(new InboxQuery(Enum.GetValues<RowStatus>(), null, 10, null));
        Assert.Equal(["claude/d1"], nov.DeferredOut);
        Assert.Equal((0m, 0), (nov.Summary.Billed, nov.TotalCount));
        var dec = await org.Period("2026-12").GetSummaryAsync();
        Assert.Equal((30m, 1), (dec.Billed, dec.RowCount));
        Assert.Equal(0, await clock.ReturnDueAsync());
    }

    [Fact]
    public async Task Defer_InEndedMonth_ReturnsAtOnce()
    {
        cluster.Clock.Set(new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero));
        var org = await TestOrg.CreateAsync(cluster);
        await org.ObserveAsync(TestOrg.Session("s", "alice", "2026-10-30T10:00:00Z", 12m));
        await org.BillAsync(TestOrg.BillRow("old", "alice", "2026-10-30", 12m));
        Assert.Equal(RowStatus.AutoMatched, (await org.GetRowAsync("old")).Status);

        var result = await org.Row("old").ApplyActionAsync(new RowCommand(RowAction.Defer, null, null, "t"));
        Assert.Equal((RowStatus.Unreconciled, "2026-11"), (result.Row.Status, result.Row.Period.ToString()));
        Assert.Equal(0m, result.Summary.Billed);  // the October summary it left
        Assert.Equal(12m, (await org.Period("2026-11").GetSummaryAsync()).Billed);
        Assert.Equal([RowStatus.AutoMatched, RowStatus.Deferred, RowStatus.Unreconciled], result.Row.AuditTrail.Select(a => a.To));
    }

    [Fact]
    public async Task DeferredRow_SurvivesRestart_AndStillReturns()
    {
        cluster.Clock.Set(new DateTimeOffset(2027, 1, 10, 0, 0, 0, TimeSpan.Zero));
        var org = await TestOrg.CreateAsync(cluster);
        await org.BillAsync(TestOrg.BillRow("r", "bob", "2027-01-04", 5m));
        await org.Row("r").ApplyActionAsync(new RowCommand(RowAction.Defer, null, null, "t"));
        await cluster.RestartAsync();

        cluster.Clock.Set(new DateTimeOffset(2027, 2, 1, 0, 1, 0, TimeSpan.Zero));
        Assert.Equal(1, await cluster.Grains.GetGrain<IDeferralClockGrain>(org.Id).ReturnDueAsync());
        Assert.Equal("2027-02", (await org.GetRowAsync("r")).Period.ToString());
    }
}
