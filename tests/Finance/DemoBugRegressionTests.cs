using System.Text.Json;
using Flowstate.Providers;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Finance;

/// <summary>
/// One regression test per bug of issue 14 seen on the demo, each with the query the issue gives,
/// on a small org built for it (the shared in-process cluster on PostgreSQL).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DemoBugRegressionTests(FlowstateCluster cluster)
{
    private const string AllStatuses = "[UNRECONCILED, SUGGESTED, AUTO_MATCHED, CONFIRMED, WRITTEN_OFF, DEFERRED]";

    private static decimal Dec(JsonElement e, string name) => decimal.Parse(e.GetProperty(name).GetString()!);

    private static async Task ConfigureAsync(TestOrg org, string id, string name = "Other") =>
        await org.Provider(id).ConfigureAsync(new ProviderConfig(id, name, "coding", ProviderPlan.None,
            [new ModelPrice("gpt-4.1", 2m, 8m, 0.5m, new DateOnly(2025, 1, 1))], MatchTolerance.Default));

    private static Flowstate.Ingestion.SessionRequest On(string provider, Flowstate.Ingestion.SessionRequest s) => s with { ProviderId = provider, Model = "gpt-4.1" };

    [Fact]
    public async Task Bug1_AProviderWithNoRowsThisMonth_IsNoBillingPull_AndAnUnknownProviderIsNotFound()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await ConfigureAsync(org, "copilot");
        await org.BillAsync(TestOrg.BillRow("r1", "alice", "2026-11-03", 10m));

        var copilot = (await org.DataAsync($$"""{ reconciliation(period: "2026-11", provider: "copilot", statuses: {{AllStatuses}}) { emptyState rows { totalCount } } }"""))
            .GetProperty("reconciliation");
        Assert.Equal("NO_BILLING_PULL", copilot.GetProperty("emptyState").GetString());
        var cleared = (await org.DataAsync("""{ reconciliation(period: "2026-11", provider: "claude", statuses: [CONFIRMED]) { emptyState } }"""))
            .GetProperty("reconciliation");
        Assert.Equal("CLEARED", cleared.GetProperty("emptyState").GetString());
        Assert.Equal("NOT_FOUND", await org.ErrorCodeAsync($$"""{ reconciliation(period: "2026-11", provider: "nosuchprovider", statuses: {{AllStatuses}}) { emptyState } }"""));
    }

    [Fact]
    public async Task Bug2_TheSummaryFollowsTheProviderFilter()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await ConfigureAsync(org, "gong");
        await org.ObserveAsync(TestOrg.Session("s1", "alice", "2026-11-03T10:00:00Z", 10m), On("gong", TestOrg.Session("s2", "bob", "2026-11-03T10:00:00Z", 4m)));
        await org.BillAsync(TestOrg.BillRow("r1", "alice", "2026-11-03", 10m));
        await org.Ingestion.IngestBillingRowsAsync("gong", [TestOrg.BillRow("g1", "bob", "2026-11-03", 2500m)]);

        const string Query = """
            query($p: ID) { reconciliation(period: "2026-11", provider: $p, statuses: [UNRECONCILED, SUGGESTED, AUTO_MATCHED]) {
              summary { provider billed observed writtenOff residual rowCount } buckets { status count amount } } }
            """;
        var gong = (await org.DataAsync(Query, new { p = "gong" })).GetProperty("reconciliation");
        var summary = gong.GetProperty("summary");
        Assert.Equal("gong", summary.GetProperty("provider").GetString());
        Assert.Equal((2500m, 4m, 2496m, 1), (Dec(summary, "billed"), Dec(summary, "observed"), Dec(summary, "residual"), summary.GetProperty("rowCount").GetInt32()));
        Assert.Equal(2500m, gong.GetProperty("buckets").EnumerateArray().Sum(b => Dec(b, "amount")));

        var all = (await org.DataAsync(Query, new { p = (string?)null })).GetProperty("reconciliation").GetProperty("summary");
        Assert.Equal(JsonValueKind.Null, all.GetProperty("provider").ValueKind);
        Assert.Equal((2510m, 14m), (Dec(all, "billed"), Dec(all, "observed")));
    }

    [Fact]
    public async Task Bug3_AnEmptyBillingBatch_LeavesTheProviderNotMonitored()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await ConfigureAsync(org, "sora");
        var ingest = await org.DataAsync("""mutation { ingestBillingRows(input: { providerId: "sora", rows: [] }) { accepted duplicates } }""");
        Assert.Equal(0, ingest.GetProperty("ingestBillingRows").GetProperty("accepted").GetInt32());
        var sora = (await org.DataAsync("{ providers { id coverage lastBillingPull { accepted } } }")).GetProperty("providers")
            .EnumerateArray().Single(p => p.GetProperty("id").GetString() == "sora");
        Assert.Equal("NOT_MONITORED", sora.GetProperty("coverage").GetString());
        Assert.Equal(JsonValueKind.Null, sora.GetProperty("lastBillingPull").ValueKind);
    }

    [Fact]
    public async Task Bug4_EachProviderRecordsItsOwnPartOfASessionBatch()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await ConfigureAsync(org, "copilot");
        await org.ObserveAsync(TestOrg.Session("c0", "alice", "2026-11-02T10:00:00Z", 1m));
        var result = await org.ObserveAsync(
            TestOrg.Session("c0", "alice", "2026-11-02T10:00:00Z", 1m),
            TestOrg.Session("c1", "alice", "2026-11-03T10:00:00Z", 1m),
            TestOrg.Session("c2", "bob", "2026-11-03T11:00:00Z", 1m),
            On("copilot", TestOrg.Session("g1", "alice", "2026-11-03T10:00:00Z", 1m)),
            On("copilot", TestOrg.Session("g2", "alice", "2999-11-03T10:00:00Z", 1m)));
        Assert.Equal((3, 1, 1), (result.Accepted, result.Duplicates, result.Rejected.Count));

        var runs = (await org.DataAsync("{ providers { id lastTelemetry { accepted duplicates rejected } } }")).GetProperty("providers")
            .EnumerateArray().ToDictionary(p => p.GetProperty("id").GetString()!, p => p.GetProperty("lastTelemetry"));
        Assert.Equal((2, 1, 0), Run(runs["claude"]));
        Assert.Equal((1, 0, 1), Run(runs["copilot"]));

        static (int, int, int) Run(JsonElement r) =>
            (r.GetProperty("accepted").GetInt32(), r.GetProperty("duplicates").GetInt32(), r.GetProperty("rejected").GetInt32());
    }

    [Fact]
    public async Task Bug5_EveryChartKey_IsAScopeId_OrMarkedNotDrillable()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.UseSmallWorkforceAsync();
        await org.ObserveAsync(
            TestOrg.Session("a1", "alice", "2026-11-10T09:00:00Z", 10m) with { Context = new(Repo: "github.com/acme/web", null, null) },
            TestOrg.Session("d1", "dave", "2026-11-13T09:00:00Z", 40m),
            TestOrg.Session("x1", "stranger@elsewhere.example", "2026-11-13T10:00:00Z", 5m));

        var view = (await org.DataAsync("""
            { attribution(range: LAST_30_DAYS) {
              topSpenders(first: 10) { key drillable } byProject { key drillable } byCostCentre { key drillable } children { scope { level id } } } }
            """))
            .GetProperty("attribution");
        var charts = new[] { ("topSpenders", "personId"), ("byProject", "projectId"), ("byCostCentre", "costCentreId") };
        var drilled = 0;
        foreach (var (chart, scopeField) in charts)
            foreach (var bar in view.GetProperty(chart).EnumerateArray())
            {
                var key = bar.GetProperty("key").GetString()!;
                if (!bar.GetProperty("drillable").GetBoolean())
                {
                    Assert.Contains(key, new[] { "unmatched", "unallocated", "u:stranger@elsewhere.example" });
                    continue;
                }
                var scoped = await org.DataAsync("query($s: ScopeInput) { attribution(scope: $s) { total } }", new { s = new Dictionary<string, string> { [scopeField] = key } });
                Assert.True(Dec(scoped.GetProperty("attribution"), "total") > 0, $"{chart} key {key}");
                drilled++;
            }
        Assert.Equal(5, drilled);   // dave, alice; web; eng, ops
        foreach (var child in view.GetProperty("children").EnumerateArray().Select(c => c.GetProperty("scope")).Where(s => s.GetProperty("id").ValueKind != JsonValueKind.Null))
            Assert.Equal("COST_CENTRE", child.GetProperty("level").GetString());
        Assert.Equal("NOT_FOUND", await org.ErrorCodeAsync("""{ attribution(scope: { personId: "p:dave" }) { total } }"""));
    }

    [Fact]
    public async Task Bug6_APersonsChildren_AreTheirSessions_TopByCostWithTheRestSummed()
    {
        var org = await TestOrg.CreateAsync(cluster, included: 5m);
        await org.UseSmallWorkforceAsync();
        var costs = Enumerable.Range(1, 13).Select(i => (decimal)i).ToList();
        await org.ObserveAsync(costs.Select((c, i) => TestOrg.Session($"a{i:00}", "alice", $"2026-11-{i + 1:00}T09:00:00Z", c)).ToArray());

        foreach (var mode in new[] { "INCREMENTAL", "MARKET" })
        {
            var view = (await org.DataAsync($$"""{ attribution(scope: { personId: "alice" }, costMode: {{mode}}) { total childCount children { scope { level id name } amount } } }"""))
                .GetProperty("attribution");
            var children = view.GetProperty("children").EnumerateArray().ToList();
            Assert.Equal(13, view.GetProperty("childCount").GetInt32());
            Assert.Equal(11, children.Count);
            Assert.All(children, c => Assert.Equal("SESSION", c.GetProperty("scope").GetProperty("level").GetString()));
            Assert.Equal(Dec(view, "total"), children.Sum(c => Dec(c, "amount")));
            Assert.Equal(10, children.Count(c => c.GetProperty("scope").GetProperty("id").ValueKind == JsonValueKind.String));
            var top = children[0].GetProperty("scope").GetProperty("id").GetString()!;
            Assert.Equal("a12", top);
            Assert.Equal(JsonValueKind.Object, (await org.DataAsync("query($id: ID!) { session(id: $id) { id } }", new { id = top })).GetProperty("session").ValueKind);
        }
        // Alice is 0.6 in platform-db: inside that team her sessions count by that share, and still add up.
        var inTeam = (await org.DataAsync("""{ attribution(scope: { personId: "alice", teamId: "platform-db" }, costMode: MARKET) { total children { amount } } }"""))
            .GetProperty("attribution");
        Assert.Equal(Dec(inTeam, "total"), inTeam.GetProperty("children").EnumerateArray().Sum(c => Dec(c, "amount")));
        Assert.Equal(91m * 0.6m, Dec(inTeam, "total"));
    }

    [Fact]
    public async Task Bug7_TheDiscoveryBanner_CountsOnlyWhatWasKnownOnTheAsOfDay()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.UseSmallWorkforceAsync();
        var people = new[] { "alice", "bob", "carol", "dave" };
        await org.ObserveAsync(Enumerable.Range(0, 15 * 16)
            .Select(i => TestOrg.Session($"s{i}", people[i % 4], $"2026-11-{1 + i / 16:00}T{8 + i % 12:00}:00:00Z", 1m)).ToArray());

        const string Query = "query($asOf: Date) { attribution(asOf: $asOf) { banner { missing } } }";
        Assert.Equal(JsonValueKind.Null, (await org.DataAsync(Query, new { asOf = "2026-11-20" })).GetProperty("attribution").GetProperty("banner").ValueKind);
        var early = (await org.DataAsync(Query, new { asOf = "2026-11-03" })).GetProperty("attribution").GetProperty("banner");
        Assert.Equal(JsonValueKind.Object, early.ValueKind);
        Assert.Contains(early.GetProperty("missing").EnumerateArray(), m => m.GetString()!.Contains("(3 so far)"));
    }

    [Fact]
    public async Task Bug8_ATeamWithACostCentreItIsNotIn_IsInvalidInput()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.UseSmallWorkforceAsync();
        Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync("""{ attribution(scope: { costCentreId: "ops", teamId: "platform" }) { total breadcrumbs { id } } }"""));
        Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync("""{ sessions(scope: { costCentreId: "ops", teamId: "platform-db" }) { totalCount } }"""));
        // platform-db has no cost centre of its own: it is in its parent's.
        await org.DataAsync("""{ attribution(scope: { costCentreId: "eng", teamId: "platform-db" }) { total } }""");
    }
}
