using System.Text.Json;
using Flowstate.Domain;
using Flowstate.Ingestion;
using Flowstate.Providers;
using Flowstate.Reconciliation;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Finance;

/// <summary>summary.residualByCause (DESIGN §12): every dollar of the residual under one cause, adding up exactly.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ResidualCauseTests(FlowstateCluster cluster)
{
    private const string Summary = """
        query($period: String!, $provider: ID) { reconciliation(period: $period, provider: $provider) {
          summary { billed observed writtenOff residual residualWarning residualByCause { cause amount rows } } } }
        """;

    private static async Task<(JsonElement Summary, Dictionary<string, (decimal Amount, int Rows)> Causes)> CausesAsync(TestOrg org, string period, string? provider = null)
    {
        var summary = (await org.DataAsync(Summary, new { period, provider })).GetProperty("reconciliation").GetProperty("summary");
        var causes = summary.GetProperty("residualByCause").EnumerateArray().ToDictionary(
            c => c.GetProperty("cause").GetString()!, c => (Amount: decimal.Parse(c.GetProperty("amount").GetString()!), Rows: c.GetProperty("rows").GetInt32()));
        Assert.Equal(Enum.GetValues<ResidualCause>().Length, causes.Count);
        Assert.Equal(decimal.Parse(summary.GetProperty("residual").GetString()!), causes.Values.Sum(c => c.Amount));
        return (summary, causes);
    }

    [Fact]
    public async Task ASettledMonth_PutsEachRowsPartUnderItsCause_AndUnbilledUsageIsUnexplained()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.Provider("gong").ConfigureAsync(new ProviderConfig("gong", "Gong", "sales", ProviderPlan.None, [], MatchTolerance.Default));
        await org.ObserveAsync(
            TestOrg.Session("round", "alice", "2026-10-03T10:00:00Z", 10.004m),
            TestOrg.Session("lag", "bob", "2026-10-05T10:00:00Z", 8m),
            TestOrg.Session("key", "alice", "2026-10-08T10:00:00Z", 3m, apiKey: "key_ci"),
            TestOrg.Session("unbilled", "alice", "2026-10-20T10:00:00Z", 5m));
        await org.BillAsync(
            TestOrg.BillRow("round", "alice", "2026-10-03", 10m),
            TestOrg.BillRow("lag", "bob", "2026-10-06", 8.4m),
            TestOrg.BillRow("key", null, "2026-10-08", 3.1m, account: "key_ci"),
            TestOrg.BillRow("seat", "carol@acme.example", "2026-10-01", 40m, kind: BillingRowKind.Seat),
            TestOrg.BillRow("credit", null, "2026-10-15", -25m, kind: BillingRowKind.Credit, account: "org"),
            TestOrg.BillRow("lost", "bob", "2026-10-12", 12m),
            TestOrg.BillRow("web", "dave@acme.example", "2026-10-09", 4m),
            TestOrg.BillRow("off", "bob", "2026-10-14", 7m));
        await org.Ingestion.IngestBillingRowsAsync("gong", [new BillingRowRequest("retainer", null, "retainer", new DateOnly(2026, 10, 1), 2500m, null, BillingRowKind.Usage, null, [])]);
        await org.Row("off").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "duplicate line", null, "fin"));

        var (summary, causes) = await CausesAsync(org, "2026-10");
        Assert.Equal(("2559.5", "26.004", "7", "2526.496"), (summary.GetProperty("billed").GetString(), summary.GetProperty("observed").GetString(),
            summary.GetProperty("writtenOff").GetString(), summary.GetProperty("residual").GetString()));
        Assert.Equal((-0.004m, 1), causes["ROUNDING"]);
        Assert.Equal((0.4m, 1), causes["BILLING_LAG"]);
        Assert.Equal((0.1m, 1), causes["SHARED_KEYS"]);
        Assert.Equal((40m, 1), causes["IDLE_SEATS"]);
        Assert.Equal((2500m, 1), causes["PROVIDERS_WITHOUT_TELEMETRY"]);
        Assert.Equal((-25m, 1), causes["ADJUSTMENTS"]);
        Assert.Equal((12m - 5m, 1), causes["UNEXPLAINED"]);   // the lost row, less the usage nobody billed
        Assert.Equal((0m, 0), causes["UNSETTLED_DAYS"]);
        Assert.Equal((4m, 1), causes["PEOPLE_WITHOUT_TELEMETRY"]);   // nobody's telemetry names dave this month
        // Most of the residual is explained: no warning although it is 99% of billed.
        Assert.False(summary.GetProperty("residualWarning").GetBoolean());

        var (_, gong) = await CausesAsync(org, "2026-10", "gong");
        Assert.Equal((2500m, 1), gong["PROVIDERS_WITHOUT_TELEMETRY"]);
        Assert.Equal(0m, gong.Values.Sum(c => c.Amount) - 2500m);

        // Confirmed against the contract, the retainer is observed at what was billed: it leaves the residual.
        var confirmed = await org.Row("retainer", "gong").ApplyActionAsync(new RowCommand(RowAction.Confirm, "Retainer per contract", null, "fin"));
        Assert.Equal((2500m, 0m), (confirmed.Row.ObservedCostUsd, confirmed.Row.Delta));
        var (after, afterCauses) = await CausesAsync(org, "2026-10");
        Assert.Equal(("2526.004", "26.496"), (after.GetProperty("observed").GetString(), after.GetProperty("residual").GetString()));
        Assert.Equal((0m, 1), afterCauses["PROVIDERS_WITHOUT_TELEMETRY"]);
        // Reopened, it is billed and unobserved again.
        await org.Row("retainer", "gong").ApplyActionAsync(new RowCommand(RowAction.Reopen, "contract renegotiated", null, "fin"));
        Assert.Equal((2500m, 1), (await CausesAsync(org, "2026-10")).Causes["PROVIDERS_WITHOUT_TELEMETRY"]);
    }

    [Fact]
    public async Task APersonsDayBilledWithinTheSuggestTolerance_IsPriceVariance_AndStaysSoOnceConfirmed()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.ObserveAsync(TestOrg.Session("cached", "alice", "2026-10-07T10:00:00Z", 20m), TestOrg.Session("far", "bob", "2026-10-07T10:00:00Z", 20m));
        await org.BillAsync(TestOrg.BillRow("cached", "alice", "2026-10-07", 19m), TestOrg.BillRow("far", "bob", "2026-10-07", 26m));

        var (_, causes) = await CausesAsync(org, "2026-10");
        Assert.Equal((-1m, 1), causes["PRICE_VARIANCE"]);   // 5% under the price table: a suggestion, priced differently
        Assert.Equal((6m, 1), causes["UNEXPLAINED"]);       // 30% over: beyond what a price difference explains

        // Usage on a provider that bills nothing this month has nothing to compare with.
        await org.Provider("gemini").ConfigureAsync(new ProviderConfig("gemini", "Gemini CLI", "coding", ProviderPlan.None,
            [new ModelPrice("sonnet", 3m, 15m, 0.3m, new DateOnly(2025, 1, 1))], MatchTolerance.Default));
        await org.ObserveAsync(TestOrg.Session("gem", "alice", "2026-10-08T10:00:00Z", 2.5m) with { ProviderId = "gemini" });
        var (summary, withGemini) = await CausesAsync(org, "2026-10");
        Assert.Equal((-2.5m, 0), withGemini["PROVIDERS_WITHOUT_BILLING"]);
        Assert.Equal((6m, 1), withGemini["UNEXPLAINED"]);
        Assert.Equal((-2.5m, 0), (await CausesAsync(org, "2026-10", "gemini")).Causes["PROVIDERS_WITHOUT_BILLING"]);
        Assert.Equal((0m, 0), (await CausesAsync(org, "2026-10", "claude")).Causes["PROVIDERS_WITHOUT_BILLING"]);

        var cached = await org.Row("cached").GetAsync();
        await org.Row("cached").ApplyActionAsync(new RowCommand(RowAction.Confirm, null, cached!.Version, "fin"));
        Assert.Equal((-1m, 1), (await CausesAsync(org, "2026-10")).Causes["PRICE_VARIANCE"]);
    }

    [Fact]
    public async Task AnOpenMonth_CountsUnsettledDays_AndTheWarningFollowsOnlyTheUnexplainedPart()
    {
        var org = await TestOrg.CreateAsync(cluster);   // the cluster's clock: 2026-11-20
        await org.ObserveAsync(TestOrg.Session("late", "alice", "2026-11-19T10:00:00Z", 3m), TestOrg.Session("early", "bob", "2026-11-01T10:00:00Z", 1m));
        await org.BillAsync(TestOrg.BillRow("recent", "bob", "2026-11-19", 12m), TestOrg.BillRow("old", "bob", "2026-11-10", 5m));

        var (summary, causes) = await CausesAsync(org, "2026-11");
        Assert.Equal((12m - 3m - 1m, 1), causes["UNSETTLED_DAYS"]);   // the recent row, less usage not billed yet
        Assert.Equal((5m, 1), causes["UNEXPLAINED"]);
        Assert.True(summary.GetProperty("residualWarning").GetBoolean());   // 5 of 17 is unexplained

        await org.Row("old").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "not ours", null, "fin"));
        (summary, causes) = await CausesAsync(org, "2026-11");
        Assert.Equal((0m, 0), causes["UNEXPLAINED"]);
        Assert.False(summary.GetProperty("residualWarning").GetBoolean());
    }

    /// <summary>
    /// The demo's Midjourney November (p0144): the 18th billed way off, the 19th booked on the 20th. The 18th
    /// with the 19th came within the suggest tolerance, so both rows took the 19th's sessions as billing lag:
    /// $1.42 observed once was matched twice, and the closed month showed it UNEXPLAINED under no row.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AnUnbilledDayBetweenTwoRows_IsMatchedOnce_ByTheRowAfterIt(bool earlierRowFirst)
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.ObserveAsync(
            TestOrg.Session("d18", "alice", "2026-10-18T20:15:00Z", 2.31m),
            TestOrg.Session("d19a", "alice", "2026-10-19T17:02:00Z", 0.44m),
            TestOrg.Session("d19b", "alice", "2026-10-19T22:16:00Z", 0.98m));
        var (offRow, lateRow) = (TestOrg.BillRow("off", "alice", "2026-10-18", 4.02m), TestOrg.BillRow("late", "alice", "2026-10-20", 1.42m));
        foreach (var row in earlierRowFirst ? new[] { offRow, lateRow } : [lateRow, offRow]) await org.BillAsync(row);

        // The row after the unbilled day is the provider booking it late; the row before keeps only its own day.
        await FlowstateCluster.EventuallyAsync(async () => (await org.GetRowAsync("off")).ObservedCostUsd == 2.31m, "the earlier row gives the 19th up");
        var (off, late) = (await org.GetRowAsync("off"), await org.GetRowAsync("late"));
        Assert.Equal((RowStatus.Unreconciled, ResidualCause.Unexplained), (off.Status, off.ResidualCause));
        Assert.Equal(["d18"], off.MatchedSessionIds);
        Assert.Equal((RowStatus.Suggested, 1.42m, ResidualCause.BillingLag), (late.Status, late.ObservedCostUsd, late.ResidualCause));
        Assert.Equal(["d19a", "d19b"], late.MatchedSessionIds.Order().ToArray());

        var (summary, causes) = await CausesAsync(org, "2026-10");
        Assert.Equal("3.73", summary.GetProperty("observed").GetString());   // each observed dollar matched by one row
        Assert.Equal((0m, 1), causes["BILLING_LAG"]);
        Assert.Equal((4.02m - 2.31m, 1), causes["UNEXPLAINED"]);          // all of it the way-off row's, none left over

        // Written off as the controller would, nothing of the closed month is unexplained.
        await org.Row("off").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "billed 74% above the sessions", null, "fin"));
        (_, causes) = await CausesAsync(org, "2026-10");
        Assert.Equal((0m, 0), causes["UNEXPLAINED"]);
        Assert.Equal((-2.31m, 1), causes["WRITTEN_OFF_USAGE"]);
    }

    [Fact]
    public void Breakdown_AddsUpToTheResidual_AndSettlesDaysAfterThreeDays()
    {
        var period = new Period(2026, 11);
        var parts = ResidualBreakdown.Of(period, 100m,
            [(ResidualCause.IdleSeats, 2, 80m), (ResidualCause.Rounding, 3, 0.02m)],
            [(new DateOnly(2026, 11, 16), 1, 4m), (new DateOnly(2026, 11, 17), 1, 6m)],
            today: new DateOnly(2026, 11, 20)).ToDictionary(p => p.Cause);
        Assert.Equal(100m, parts.Values.Sum(p => p.Amount));
        Assert.Equal(4m, parts[ResidualCause.Unexplained].Amount);
        Assert.Equal(6m + 9.98m, parts[ResidualCause.UnsettledDays].Amount);   // the 17th, and the rest of an open month
        Assert.Equal(1, parts[ResidualCause.UnsettledDays].Rows);

        var settled = ResidualBreakdown.Of(new Period(2026, 10), -3m, [], [], today: new DateOnly(2026, 11, 20)).ToDictionary(p => p.Cause);
        Assert.Equal((-3m, 0m), (settled[ResidualCause.Unexplained].Amount, settled[ResidualCause.UnsettledDays].Amount));
        Assert.True(ResidualBreakdown.Unsettled(new DateOnly(2026, 10, 31), new DateOnly(2026, 11, 3)));
        Assert.False(ResidualBreakdown.Unsettled(new DateOnly(2026, 10, 31), new DateOnly(2026, 11, 4)));
    }
}
