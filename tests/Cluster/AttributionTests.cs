using System.Text.Json;
using Flowstate.Tests.Infrastructure;
using Flowstate.Workforce;

namespace Flowstate.Tests.Cluster;

/// <summary>The attribution surface over GraphQL: FTE splits, team sub-trees, cost centres, children and errors.</summary>
[Collection(ClusterCollection.Name)]
public sealed class AttributionTests(FlowstateCluster cluster)
{
    private const string View = """
        query($scope: ScopeInput, $range: DateRange, $mode: CostMode, $asOf: Date) {
          attribution(scope: $scope, range: $range, costMode: $mode, asOf: $asOf) {
            scope { level id name } breadcrumbs { level id name } range { start end } costMode total sessions
            banner { message missing }
            byProvider { key name amount } byProject { key name amount } byCostCentre { key name amount }
            topSpenders(first: 5) { key name amount }
            frustrationByModel { model frustration sessions }
            coverage { headcount reporting ratio } coverageByTeam { team { id } headcount reporting ratio }
            children { scope { level id name } amount } } }
        """;

    private static async Task<TestOrg> OrgAsync(FlowstateCluster cluster)
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.UseSmallWorkforceAsync();
        return org;
    }

    private async Task<JsonElement> ViewAsync(TestOrg org, object? scope = null, string range = "LAST_30_DAYS", string mode = "INCREMENTAL", string? asOf = null) =>
        (await org.DataAsync(View, new { scope, range, mode, asOf })).GetProperty("attribution");

    private static decimal Dec(JsonElement e, string name) => decimal.Parse(e.GetProperty(name).GetString()!);

    private static Dictionary<string, decimal> Children(JsonElement view) =>
        view.GetProperty("children").EnumerateArray().ToDictionary(
            c => c.GetProperty("scope").GetProperty("id").GetString() ?? c.GetProperty("scope").GetProperty("name").GetString()!,
            c => Dec(c, "amount"));

    [Fact]
    public async Task Spend_SplitsByFte_RollsUpTheTeamTree_AndAddsUpAtEveryLevel()
    {
        var org = await OrgAsync(cluster);
        await org.ObserveAsync(
            TestOrg.Session("a1", "alice", "2026-11-10T09:00:00Z", 10m),
            TestOrg.Session("b1", "bob", "2026-11-11T09:00:00Z", 20m),
            TestOrg.Session("c1", "carol", "2026-11-12T09:00:00Z", 30m),
            TestOrg.Session("d1", "dave", "2026-11-13T09:00:00Z", 40m),
            TestOrg.Session("x1", "stranger@elsewhere.example", "2026-11-13T10:00:00Z", 5m));

        var orgView = await ViewAsync(org);
        Assert.Equal(105m, Dec(orgView, "total"));
        Assert.Equal("2026-10-22", orgView.GetProperty("range").GetProperty("start").GetString());
        Assert.Equal("2026-11-20", orgView.GetProperty("range").GetProperty("end").GetString());
        // eng = alice 0.6 + bob + carol 0.5; ops = alice 0.4; unallocated = carol 0.5 + dave + the stranger.
        Assert.Equal(new Dictionary<string, decimal> { ["eng"] = 41m, ["ops"] = 4m, ["Unallocated"] = 60m }, Children(orgView));
        var byCc = orgView.GetProperty("byCostCentre").EnumerateArray().ToDictionary(a => a.GetProperty("key").GetString()!, a => Dec(a, "amount"));
        Assert.Equal(60m, byCc["unallocated"]);

        var platform = await ViewAsync(org, new { teamId = "platform" });
        Assert.Equal(41m, Dec(platform, "total"));
        Assert.Equal(new Dictionary<string, decimal> { ["platform-db"] = 6m, ["bob"] = 20m, ["carol"] = 15m }, Children(platform));
        Assert.Equal(["ORG:", "COST_CENTRE:eng", "TEAM:platform"],
            platform.GetProperty("breadcrumbs").EnumerateArray().Select(b => b.GetProperty("level").GetString() + ":" + b.GetProperty("id").GetString()).Select(s => s.StartsWith("ORG") ? "ORG:" : s));

        Assert.Equal(6m, Dec(await ViewAsync(org, new { teamId = "platform-db" }), "total"));
        Assert.Equal(4m, Dec(await ViewAsync(org, new { costCentreId = "ops" }), "total"));
        Assert.Equal(10m, Dec(await ViewAsync(org, new { personId = "alice" }), "total"));
        Assert.Equal(4m, Dec(await ViewAsync(org, new { personId = "alice", costCentreId = "ops" }), "total"));
        Assert.Equal(6m, Dec(await ViewAsync(org, new { personId = "alice", teamId = "platform" }), "total"));

        var top = orgView.GetProperty("topSpenders").EnumerateArray().Select(a => (a.GetProperty("key").GetString(), Dec(a, "amount"))).ToList();
        Assert.Equal(("dave", 40m), top[0]);
        Assert.Contains(("u:stranger@elsewhere.example", 5m), top);

        var coverage = orgView.GetProperty("coverage");
        Assert.Equal((4, 4), (coverage.GetProperty("headcount").GetInt32(), coverage.GetProperty("reporting").GetInt32()));
        var teamCoverage = platform.GetProperty("coverageByTeam").EnumerateArray().ToDictionary(t => t.GetProperty("team").GetProperty("id").GetString()!, t => t.GetProperty("headcount").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["platform"] = 2, ["platform-db"] = 1 }, teamCoverage);
    }

    [Fact]
    public async Task Windows_IncludeBothEnds_AndCostModesDiffer()
    {
        var org = await OrgAsync(cluster);
        await org.ObserveAsync(
            TestOrg.Session("w1", "bob", "2026-11-14T00:00:00Z", 1m),
            TestOrg.Session("w2", "bob", "2026-11-20T23:59:59Z", 2m),
            TestOrg.Session("w3", "bob", "2026-11-13T23:59:59Z", 4m),
            TestOrg.Session("w4", "bob", "2025-11-21T08:00:00Z", 8m),
            TestOrg.Session("w5", "bob", "2025-11-20T08:00:00Z", 16m),
            TestOrg.Session("w6", "bob", "2026-10-01T08:00:00Z", 32m));
        Assert.Equal(3m, Dec(await ViewAsync(org, range: "LAST_7_DAYS"), "total"));
        Assert.Equal(39m, Dec(await ViewAsync(org, range: "QUARTER_TO_DATE"), "total"));
        Assert.Equal(47m, Dec(await ViewAsync(org, range: "LAST_YEAR"), "total"));
        Assert.Equal(16m, Dec(await ViewAsync(org, range: "LAST_7_DAYS", asOf: "2025-11-20"), "total"));
    }

    [Fact]
    public async Task BadScopesAndArguments_FailWithStableCodes()
    {
        var org = await OrgAsync(cluster);
        Assert.Equal("NOT_FOUND", await org.ErrorCodeAsync(View, new { scope = new { teamId = "nope" } }));
        Assert.Equal("NOT_FOUND", await org.ErrorCodeAsync(View, new { scope = new { personId = "nobody" } }));
        Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync(View, new { asOf = "2026-13-01" }));
        Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync("{ attribution { topSpenders(first: 500) { key } } }"));
    }

    [Theory]
    [InlineData("""{ people: [{ id: "zed", name: "Zed", allocations: [{ teamId: "platform", fte: "0.7", effectiveFrom: "2026-02-01" }, { teamId: "support", fte: "0.4", effectiveFrom: "2026-02-01" }] }] }""", "INVALID_INPUT")]
    [InlineData("""{ teams: [{ id: "platform", name: "Platform", parentId: "platform-db", costCentreId: "eng" }] }""", "INVALID_INPUT")]
    [InlineData("""{ teams: [{ id: "new", name: "New", parentId: "nope" }] }""", "NOT_FOUND")]
    [InlineData("""{ people: [{ id: "zed", name: "Zed", allocations: [{ teamId: "nope", fte: 1 }] }] }""", "NOT_FOUND")]
    [InlineData("""{ people: [{ id: "zed", name: "Zed", allocations: [{ teamId: "platform", fte: "abc" }] }] }""", "INVALID_INPUT")]
    public async Task BadWorkforce_IsRejectedWhole_AndChangesNothing(string input, string code)
    {
        var org = await OrgAsync(cluster);
        var counts = await org.DataAsync("mutation { upsertWorkforce(input: {}) { teams people } }");
        // Each bad upsert also carries a good cost centre, which must not land either.
        var mutation = "mutation { upsertWorkforce(input: { costCentres: [{ id: \"extra\", name: \"Extra\" }], " + input.TrimStart('{') + ") { teams } }";
        Assert.Equal(code, await org.ErrorCodeAsync(mutation));
        Assert.Equal(counts.ToString(), (await org.DataAsync("mutation { upsertWorkforce(input: {}) { teams people } }")).ToString());
        Assert.Equal(["eng", "ops"], (await org.Grains.GetGrain<IOrgGrain>(org.Id).GetWorkforceAsync(-1))!.CostCentres.Keys.Order());
        Assert.Equal("platform", (await org.Grains.GetGrain<IOrgGrain>(org.Id).GetWorkforceAsync(-1))!.Teams["platform-db"].ParentId);
    }

    [Fact]
    public async Task Banner_NamesWhatIsMissing_AndClearsOnceTheDataArrives()
    {
        var org = await OrgAsync(cluster);
        var banner = (await ViewAsync(org)).GetProperty("banner");
        Assert.Equal(JsonValueKind.Object, banner.ValueKind);
        Assert.Contains(banner.GetProperty("missing").EnumerateArray(), m => m.GetString()!.Contains("sessions"));

        var day = new DateTimeOffset(2026, 11, 1, 9, 0, 0, TimeSpan.Zero);
        var people = new[] { "alice", "bob", "carol", "dave" };
        await org.ObserveAsync(Enumerable.Range(0, 240).Select(i =>
            TestOrg.Session($"s{i}", people[i % 4], day.AddDays(i % 20).ToString("O"), 0.5m)).ToArray());
        Assert.Equal(JsonValueKind.Null, (await ViewAsync(org)).GetProperty("banner").ValueKind);
    }
}

/// <summary>Workforce changes, the plan allowance and crash repair, seen through the rollups.</summary>
[Collection(ClusterCollection.Name)]
public sealed class AttributionChangeTests(FlowstateCluster cluster)
{
    private static readonly DateOnly Jan1 = new(2026, 1, 1);

    private static Task<Flowstate.Attribution.AttributionView> ViewAsync(TestOrg org, Flowstate.Attribution.Scope scope,
        Flowstate.Attribution.DateRange range = Flowstate.Attribution.DateRange.LastYear,
        Flowstate.Attribution.CostMode mode = Flowstate.Attribution.CostMode.Market) =>
        org.Grains.GetGrain<Flowstate.Attribution.IAttributionGrain>(org.Id).GetViewAsync(new(scope, range, mode, null));

    private static Task UpsertAsync(TestOrg org, IReadOnlyList<Team>? teams = null, IReadOnlyList<Person>? people = null) =>
        org.Grains.GetGrain<IOrgGrain>(org.Id).UpsertWorkforceAsync(new WorkforceUpsert(
            [new CostCentre("eng", "Engineering"), new CostCentre("ops", "Operations")], teams ?? [], people ?? [], [], []));

    [Fact]
    public async Task MovingSomeone_MovesSpendFromTheEffectiveDateOn_AndKeepsEarlierMonths()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await UpsertAsync(org, [new Team("a", "A", null, "eng", null), new Team("b", "B", null, "ops", null)],
            [new Person("alice", "alice@acme.example", "Alice", PersonKind.Employee, [new Allocation("a", 1m, Jan1)])]);
        await org.ObserveAsync(
            TestOrg.Session("sep", "alice", "2026-09-10T10:00:00Z", 3m),
            TestOrg.Session("oct", "alice", "2026-10-20T10:00:00Z", 5m),
            TestOrg.Session("nov", "alice", "2026-11-05T10:00:00Z", 7m));
        Assert.Equal(15m, (await ViewAsync(org, new(TeamId: "a"))).Total);

        // From 15 October alice works half in B: her October sessions after that and November split.
        await UpsertAsync(org, people: [new Person("alice", "alice@acme.example", "Alice", PersonKind.Employee,
            [new Allocation("a", 1m, Jan1), new Allocation("a", 0.5m, new DateOnly(2026, 10, 15)), new Allocation("b", 0.5m, new DateOnly(2026, 10, 15))])]);
        Assert.Equal(9m, (await ViewAsync(org, new(TeamId: "a"))).Total);
        Assert.Equal(6m, (await ViewAsync(org, new(TeamId: "b"))).Total);
        Assert.Equal(6m, (await ViewAsync(org, new(CostCentreId: "ops"))).Total);
        Assert.Equal(15m, (await ViewAsync(org, Flowstate.Attribution.Scope.Org)).Total);
    }

    [Fact]
    public async Task MovingATeamInTheTree_MovesTheCurrentMonth_AndKeepsHistory()
    {
        var org = await TestOrg.CreateAsync(cluster);
        Team[] tree = [new("root-a", "Root A", null, "eng", null), new("root-b", "Root B", null, "ops", null), new("leaf", "Leaf", "root-a", null, null)];
        await UpsertAsync(org, tree, [new Person("bob", "bob@acme.example", "Bob", PersonKind.Employee, [new Allocation("leaf", 1m, Jan1)])]);
        await org.ObserveAsync(TestOrg.Session("oct", "bob", "2026-10-07T10:00:00Z", 2m), TestOrg.Session("nov", "bob", "2026-11-07T10:00:00Z", 4m));
        Assert.Equal(6m, (await ViewAsync(org, new(TeamId: "root-a"))).Total);

        await UpsertAsync(org, [tree[2] with { ParentId = "root-b" }]);   // the clock says November
        Assert.Equal(2m, (await ViewAsync(org, new(TeamId: "root-a"))).Total);
        Assert.Equal(4m, (await ViewAsync(org, new(TeamId: "root-b"))).Total);
        Assert.Equal(4m, (await ViewAsync(org, new(CostCentreId: "ops"))).Total);
        Assert.Equal(6m, (await ViewAsync(org, new(TeamId: "leaf"))).Total);
    }

    [Fact]
    public async Task Incremental_ConsumesTheAllowanceInStartOrder_AndALateSessionRecomputesItsMonth()
    {
        var org = await TestOrg.CreateAsync(cluster, included: 10m);
        await org.ObserveAsync(TestOrg.Session("s2", "alice", "2026-11-05T10:00:00Z", 6m), TestOrg.Session("s3", "alice", "2026-11-06T10:00:00Z", 7m),
                               TestOrg.Session("o1", "alice", "2026-10-06T10:00:00Z", 4m));
        var alice = new Flowstate.Attribution.Scope(PersonId: "alice");
        Assert.Equal(3m, (await ViewAsync(org, alice, mode: Flowstate.Attribution.CostMode.Incremental)).Total);   // November: 6 + 7 - 10; October is covered
        Assert.Equal(17m, (await ViewAsync(org, alice)).Total);

        await org.ObserveAsync(TestOrg.Session("s1", "alice", "2026-11-01T10:00:00Z", 5m));   // arrives late, started first
        Assert.Equal(8m, (await ViewAsync(org, alice, mode: Flowstate.Attribution.CostMode.Incremental)).Total);
        Assert.Equal(8m, (await ViewAsync(org, Flowstate.Attribution.Scope.Org, mode: Flowstate.Attribution.CostMode.Incremental)).Total);
    }

    [Theory]
    [InlineData("0001-01-02")]   // was ARGUMENT_OUT_OF_RANGE (an exception's name as the code)
    [InlineData("2000-01-10")]   // was "Period '1999-01' is not a month"
    [InlineData("9999-12-31")]
    public async Task AsOfOutsideTheCalendar_IsInvalidInput_WithOnlyTheContractsCode(string asOf)
    {
        var org = await TestOrg.CreateAsync(cluster);
        var response = await org.GraphQLAsync($$"""{ attribution(range: LAST_YEAR, asOf: "{{asOf}}") { total } }""");
        var error = response.GetProperty("errors")[0];
        Assert.Equal("INVALID_INPUT", error.GetProperty("extensions").GetProperty("code").GetString());
        Assert.Equal(["INVALID_INPUT"], error.GetProperty("extensions").GetProperty("codes").EnumerateArray().Select(c => c.GetString()));
        Assert.Contains("asOf", error.GetProperty("message").GetString());
    }
}
