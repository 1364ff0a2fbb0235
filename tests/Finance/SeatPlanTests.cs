using System.Text.Json;
using Flowstate.Ingestion;
using Flowstate.Providers;
using Flowstate.Reconciliation;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Finance;

/// <summary>Seat plans through ingestion, partitions, rows and the period summary (DESIGN §12).</summary>
[Collection(ClusterCollection.Name)]
public sealed class SeatPlanTests(FlowstateCluster cluster)
{
    /// <summary>A seat plan: $40 a seat a month with $20 of usage included.</summary>
    private static async Task<TestOrg> SeatOrgAsync(FlowstateCluster cluster)
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.Provider("seatco").ConfigureAsync(new ProviderConfig("seatco", "Seat Co", "coding", new ProviderPlan(40m, 20m, 0m),
            [new ModelPrice("sonnet", 3m, 15m, 0.3m, new DateOnly(2025, 1, 1))], MatchTolerance.Default));
        return org;
    }

    private static SessionRequest Seat(string id, string subject, string at, decimal cost) =>
        TestOrg.Session(id, subject, at, cost) with { ProviderId = "seatco" };

    private static BillingRowRequest Row(string ext, string subject, string day, decimal total, BillingRowKind kind) =>
        TestOrg.BillRow(ext, subject, day, total, kind);

    [Fact]
    public async Task SeatRow_MatchesThePersonsSeatMonth_AndOverageIsObservedBeyondTheIncludedAmount()
    {
        var org = await SeatOrgAsync(cluster);
        await org.ObserveAsync(Seat("s1", "alice", "2026-11-02T09:00:00Z", 8m), Seat("s2", "alice", "2026-11-05T09:00:00Z", 9m),
            Seat("s3", "alice", "2026-11-12T09:00:00Z", 10m), Seat("s4", "alice", "2026-11-20T09:00:00Z", 5m));
        await org.Ingestion.IngestBillingRowsAsync("seatco", [
            Row("seat-alice", "alice", "2026-11-01", 40m, BillingRowKind.Seat),
            Row("seat-bob", "bob", "2026-11-01", 40m, BillingRowKind.Seat),
            Row("od-12", "alice", "2026-11-12", 7m, BillingRowKind.Usage),
            Row("od-20", "alice", "2026-11-20", 5m, BillingRowKind.Usage),
            Row("od-05", "alice", "2026-11-05", 9m, BillingRowKind.Usage)]);

        var seat = (await org.Row("seat-alice", "seatco").GetAsync())!;
        Assert.Equal((RowStatus.AutoMatched, 40m, 0m), (seat.Status, seat.ObservedCostUsd, seat.Delta));
        Assert.Equal(["s1", "s2", "s3", "s4"], seat.MatchedSessionIds);
        Assert.Contains("4 session(s)", seat.MatchReason);
        Assert.Contains("$40.00", seat.MatchReason);

        var idle = (await org.Row("seat-bob", "seatco").GetAsync())!;
        Assert.Equal((RowStatus.Unreconciled, 0m, 40m, 0), (idle.Status, idle.ObservedCostUsd, idle.Delta, idle.MatchedSessionIds.Count));

        // Usage beyond the $20 included: s3 crosses it by 7, s4 is all beyond; s2 is inside the seat, so nothing usage could match.
        var od12 = (await org.Row("od-12", "seatco").GetAsync())!;
        Assert.Equal((RowStatus.AutoMatched, 7m), (od12.Status, od12.ObservedCostUsd));
        Assert.Equal(["s3"], od12.MatchedSessionIds);
        Assert.Equal((RowStatus.AutoMatched, 5m), ((await org.Row("od-20", "seatco").GetAsync())!.Status, (await org.Row("od-20", "seatco").GetAsync())!.ObservedCostUsd));
        var od05 = (await org.Row("od-05", "seatco").GetAsync())!;
        Assert.Equal((RowStatus.Unreconciled, 0m), (od05.Status, od05.ObservedCostUsd));

        // The provider's month: billed 101; observed = alice's active seat (40) + overage (12); bob's idle seat observes nothing.
        var summary = (await org.DataAsync("""{ reconciliation(period: "2026-11", provider: "seatco") { summary { billed observed residual } } }"""))
            .GetProperty("reconciliation").GetProperty("summary");
        Assert.Equal(("101", "52", "49"), (summary.GetProperty("billed").GetString(), summary.GetProperty("observed").GetString(), summary.GetProperty("residual").GetString()));

        // Token-priced usage inside the seat stays MARKET information: MARKET counts all of it, INCREMENTAL only the overage.
        const string Both = """
            { m: attribution(range: LAST_30_DAYS, costMode: MARKET) { byProvider { key amount } }
              i: attribution(range: LAST_30_DAYS, costMode: INCREMENTAL) { byProvider { key amount } } }
            """;
        var att = await org.DataAsync(Both);
        static string Of(JsonElement a, string key) => a.GetProperty("byProvider").EnumerateArray().Single(p => p.GetProperty("key").GetString() == key).GetProperty("amount").GetString()!;
        Assert.Equal(("32", "12"), (Of(att.GetProperty("m"), "seatco"), Of(att.GetProperty("i"), "seatco")));
    }

    [Fact]
    public async Task IdleSeat_BecomesMatched_WhenItsFirstSessionArrives()
    {
        var org = await SeatOrgAsync(cluster);
        await org.Ingestion.IngestBillingRowsAsync("seatco", [Row("seat-bob", "bob", "2026-11-01", 40m, BillingRowKind.Seat)]);
        Assert.Equal(0m, (await org.Period("2026-11").GetSummaryAsync()).Observed);

        await org.ObserveAsync(Seat("b1", "bob", "2026-11-18T09:00:00Z", 2m));
        var seat = (await org.Row("seat-bob", "seatco").GetAsync())!;
        Assert.Equal((RowStatus.AutoMatched, 40m, 0m, "b1"), (seat.Status, seat.ObservedCostUsd, seat.Delta, string.Join(',', seat.MatchedSessionIds)));
        Assert.Equal(40m, (await org.Period("2026-11").GetSummaryAsync()).Observed);
    }
}
