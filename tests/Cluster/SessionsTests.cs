using System.Text.Json;
using Flowstate.Ingestion;
using Flowstate.Providers;
using Flowstate.Tests.Infrastructure;
using Flowstate.Workforce;

namespace Flowstate.Tests.Cluster;

/// <summary>
/// The sessions table, session, My AI Usage and markSessionProject over GraphQL on PostgreSQL:
/// scopes and filters, every order both ways, keyset pages while sessions keep arriving, errors,
/// incremental cost against a plan allowance, and marks that move spend and teach the classifier.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SessionsTests(FlowstateCluster cluster)
{
    private const string AsOf = "2026-11-20";

    private const string List = """
        query($scope: ScopeInput, $range: DateRange, $asOf: Date, $filter: SessionFilter, $orderBy: SessionOrder, $first: Int, $after: String) {
          sessions(scope: $scope, range: $range, asOf: $asOf, filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
            totalCount range { start end }
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
            edges { cursor node { id model costUsd totalTokens startedAt project { id } projectSource person { id } } } } }
        """;

    private const string Mark = """
        mutation($input: MarkSessionProjectInput!) {
          markSessionProject(input: $input) { id costUsd incrementalCostUsd project { id name } projectSource context { repo path app } } }
        """;

    private const string Attribution = """
        query($scope: ScopeInput) { attribution(scope: $scope, asOf: "2026-11-20") { total byProject { key amount } } }
        """;

    private sealed record Spec(string Id, string Subject, string StartedAt, decimal Cost, string Model = "sonnet", long Input = 1000, long Output = 200,
        string? Repo = null, string? ProjectId = null, string Provider = "claude", long Cached = 0)
    {
        public long Tokens => Input + Output + Cached;
        public SessionRequest Request => new(Id, Subject, Provider, Model, DateTimeOffset.Parse(StartedAt), null, Input, Output, Cached, 3, Cost,
            null, ProjectId, Repo is null ? null : new SessionContext(Repo, "/src", "vscode"), 0.2, []);
    }

    /// <summary>
    /// eng: platform (bob 1.0, carol 0.5; erin 1.0 from 2026-11-10) ⊃ platform-db (alice 0.6);
    /// ops: support (alice 0.4; erin 1.0 until 2026-11-09). dave has no allocation; "stranger" is not a person.
    /// </summary>
    private static readonly Spec[] Data =
    [
        new("a1", "alice", "2026-11-02T09:00:00Z", 4m, "sonnet", 3000, 500, "https://github.com/acme/web"),
        new("a2", "alice", "2026-11-05T10:00:00Z", 1.5m, "opus", 800, 100, "git@github.com:acme/api.git"),
        new("b1", "bob", "2026-11-03T11:00:00Z", 7m, "haiku", 5000, 900),
        new("b2", "bob", "2026-11-12T08:30:00Z", 2.25m, "sonnet", 3000, 500, ProjectId: "docs"),
        new("c1", "carol", "2026-11-08T14:00:00Z", 3m, "sonnet", 1200, 300, "github.com/acme/web"),
        new("d1", "dave", "2026-11-09T16:00:00Z", 9m, "opus", 9000, 2000, Provider: "cursor"),
        new("e1", "erin", "2026-11-04T12:00:00Z", 5m, "haiku", 2000, 400),
        new("e2", "erin", "2026-11-15T12:00:00Z", 2.25m, "sonnet", 2500, 400, Cached: 600),
        new("x1", "stranger@elsewhere.example", "2026-11-10T07:00:00Z", 1m, "haiku", 400, 50),
        new("old", "bob", "2026-10-01T09:00:00Z", 100m),
    ];

    private static async Task<TestOrg> OrgAsync(FlowstateCluster cluster, decimal included = 0m)
    {
        var org = await TestOrg.CreateAsync(cluster, included: included);
        await org.Provider("cursor").ConfigureAsync(new ProviderConfig("cursor", "Cursor", "coding", ProviderPlan.None, [], MatchTolerance.Default));
        await org.UseSmallWorkforceAsync(
            [new Person("erin", "erin@acme.example", "Erin", PersonKind.Employee,
                [new Allocation("support", 1m, new DateOnly(2026, 1, 1)), new Allocation("platform", 1m, new DateOnly(2026, 11, 10))])],
            [new Project("web", "Web app", ["github.com/acme/web"]), new Project("api", "API", ["github.com/acme/api"]), new Project("docs", "Docs", [])]);
        return org;
    }

    private static async Task<TestOrg> SeededOrgAsync(FlowstateCluster cluster, decimal included = 0m)
    {
        var org = await OrgAsync(cluster, included);
        var result = await org.ObserveAsync(Data.Select(s => s.Request).ToArray());
        Assert.Empty(result.Rejected);
        return org;
    }

    private static async Task<JsonElement> PageAsync(TestOrg org, object? scope = null, object? filter = null, object? orderBy = null,
        int first = 50, string? after = null, string range = "LAST_30_DAYS", string asOf = AsOf) =>
        (await org.DataAsync(List, new { scope, range, asOf, filter, orderBy, first, after })).GetProperty("sessions");

    private static List<string> Ids(JsonElement page) =>
        page.GetProperty("edges").EnumerateArray().Select(e => e.GetProperty("node").GetProperty("id").GetString()!).ToList();

    private static async Task<HashSet<string>> IdSetAsync(TestOrg org, object? scope = null, object? filter = null, string range = "LAST_30_DAYS")
    {
        var page = await PageAsync(org, scope, filter, range: range);
        var ids = Ids(page);
        Assert.Equal(ids.Count, page.GetProperty("totalCount").GetInt32());
        return ids.ToHashSet();
    }

    /// <summary>Every page of one order, following endCursor; fails on a page that is not the size asked for except the last.</summary>
    private static async Task<List<string>> AllPagesAsync(TestOrg org, object orderBy, int first, object? scope = null, object? filter = null)
    {
        var ids = new List<string>();
        string? after = null;
        while (true)
        {
            var page = await PageAsync(org, scope, filter, orderBy, first, after);
            var pageIds = Ids(page);
            var info = page.GetProperty("pageInfo");
            ids.AddRange(pageIds);
            Assert.Equal(after is not null, info.GetProperty("hasPreviousPage").GetBoolean());
            if (!info.GetProperty("hasNextPage").GetBoolean()) return ids;
            Assert.Equal(first, pageIds.Count);
            after = info.GetProperty("endCursor").GetString();
        }
    }

    private static decimal Dec(JsonElement e, string name) => decimal.Parse(e.GetProperty(name).GetString()!);

    [Fact]
    public async Task Scopes_SelectTheSessionsThatCountTowardTheScope_AndFiltersNarrowThem()
    {
        var org = await SeededOrgAsync(cluster);
        var inWindow = Data.Where(s => s.Id != "old").Select(s => s.Id).ToHashSet();

        Assert.Equal(inWindow, await IdSetAsync(org));
        // A team holds its sub-tree; erin counts toward platform only from the day she moved there.
        Assert.Equal(["a1", "a2", "b1", "b2", "c1", "e2"], (await IdSetAsync(org, new { teamId = "platform" })).Order());
        Assert.Equal(["a1", "a2"], (await IdSetAsync(org, new { teamId = "platform-db" })).Order());
        Assert.Equal(["a1", "a2", "e1"], (await IdSetAsync(org, new { teamId = "support" })).Order());
        Assert.Equal(["a1", "a2", "b1", "b2", "c1", "e2"], (await IdSetAsync(org, new { costCentreId = "eng" })).Order());
        Assert.Equal(["a1", "a2", "e1"], (await IdSetAsync(org, new { costCentreId = "ops" })).Order());
        Assert.Equal(["a1", "c1"], (await IdSetAsync(org, new { projectId = "web" })).Order());
        Assert.Equal(["a1", "a2"], (await IdSetAsync(org, new { personId = "alice" })).Order());
        // Combinations intersect.
        Assert.Equal(["e2"], (await IdSetAsync(org, new { personId = "erin", teamId = "platform" })).Order());
        Assert.Equal(["e1"], (await IdSetAsync(org, new { personId = "erin", costCentreId = "ops" })).Order());
        Assert.Equal(["a1", "c1"], (await IdSetAsync(org, new { teamId = "platform", projectId = "web" })).Order());
        Assert.Empty(await IdSetAsync(org, new { personId = "dave", teamId = "platform" }));

        Assert.Equal(["b1", "d1", "e1", "e2", "x1"], (await IdSetAsync(org, filter: new { unmatchedOnly = true })).Order());
        Assert.Equal(["a2", "d1"], (await IdSetAsync(org, filter: new { model = "opus" })).Order());
        Assert.Equal(["d1"], (await IdSetAsync(org, filter: new { providerId = "cursor" })).Order());
        Assert.Equal(["b1", "b2"], (await IdSetAsync(org, filter: new { personId = "bob" })).Order());
        Assert.Equal(["b2"], (await IdSetAsync(org, filter: new { projectId = "docs" })).Order());
        Assert.Equal(["b1", "e2"], (await IdSetAsync(org, new { teamId = "platform" }, new { unmatchedOnly = true })).Order());
        Assert.Empty(await IdSetAsync(org, new { projectId = "web" }, new { unmatchedOnly = true }));
        Assert.Equal(["e2"], (await IdSetAsync(org, range: "LAST_7_DAYS")).Order());
        Assert.Equal(inWindow.Append("old").Order(), (await IdSetAsync(org, range: "LAST_YEAR")).Order());

        var page = await PageAsync(org, new { personId = "alice" }, orderBy: new { field = "COST", direction = "DESC" });
        Assert.Equal("2026-10-22", page.GetProperty("range").GetProperty("start").GetString());
        var a1 = page.GetProperty("edges")[0].GetProperty("node");
        Assert.Equal(("a1", "web", "INFERRED", "alice", 3500),
            (a1.GetProperty("id").GetString(), a1.GetProperty("project").GetProperty("id").GetString(), a1.GetProperty("projectSource").GetString(),
             a1.GetProperty("person").GetProperty("id").GetString(), a1.GetProperty("totalTokens").GetInt32()));
    }

    [Theory]
    [InlineData("COST", "DESC")] [InlineData("COST", "ASC")]
    [InlineData("STARTED_AT", "DESC")] [InlineData("STARTED_AT", "ASC")]
    [InlineData("TOKENS", "DESC")] [InlineData("TOKENS", "ASC")]
    [InlineData("MODEL", "DESC")] [InlineData("MODEL", "ASC")]
    public async Task EveryOrder_BothDirections_PagesThroughInOrder_TiesBrokenById(string field, string direction)
    {
        var org = await SeededOrgAsync(cluster);
        var inWindow = Data.Where(s => s.Id != "old").ToList();
        IComparer<Spec> byField = field switch
        {
            "COST" => Comparer<Spec>.Create((a, b) => a.Cost.CompareTo(b.Cost)),
            "STARTED_AT" => Comparer<Spec>.Create((a, b) => DateTimeOffset.Parse(a.StartedAt).CompareTo(DateTimeOffset.Parse(b.StartedAt))),
            "TOKENS" => Comparer<Spec>.Create((a, b) => a.Tokens.CompareTo(b.Tokens)),
            // MODEL breaks ties by start time before the id.
            _ => Comparer<Spec>.Create((a, b) => string.CompareOrdinal(a.Model, b.Model) is var m and not 0 ? m
                : DateTimeOffset.Parse(a.StartedAt).CompareTo(DateTimeOffset.Parse(b.StartedAt))),
        };
        var ordered = inWindow.Order(Comparer<Spec>.Create((a, b) => byField.Compare(a, b) is var c and not 0 ? c : string.CompareOrdinal(a.Id, b.Id))).Select(s => s.Id).ToList();
        if (direction == "DESC") ordered.Reverse();

        Assert.Equal(ordered, await AllPagesAsync(org, new { field, direction }, first: 3));
        Assert.Equal(ordered, await AllPagesAsync(org, new { field, direction }, first: 1));
        Assert.Equal(ordered, Ids(await PageAsync(org, orderBy: new { field, direction })));
    }

    [Fact]
    public async Task DefaultOrder_IsNewestFirst_AndTiesSortById()
    {
        var org = await SeededOrgAsync(cluster);
        var expected = Data.Where(s => s.Id != "old").OrderByDescending(s => DateTimeOffset.Parse(s.StartedAt)).Select(s => s.Id).ToList();
        Assert.Equal(expected, Ids(await PageAsync(org)));
        // b2 and e2 cost the same (2.25), and e2 (2500+400+600) has as many tokens as b2 (3000+500): ties go by id.
        var byCost = Ids(await PageAsync(org, orderBy: new { field = "COST", direction = "ASC" }));
        Assert.True(byCost.IndexOf("b2") + 1 == byCost.IndexOf("e2"));
        var byTokens = Ids(await PageAsync(org, orderBy: new { field = "TOKENS", direction = "DESC" }));
        Assert.True(byTokens.IndexOf("e2") + 1 == byTokens.IndexOf("b2"));
        // MODEL with one model filtered (a plain range) and with a scope (model by model): by start time within a model.
        Assert.Equal(["a2", "d1"], Ids(await PageAsync(org, filter: new { model = "opus" }, orderBy: new { field = "MODEL", direction = "ASC" })));
        Assert.Equal(["e2", "b2", "c1", "a1", "a2", "b1"],
            await AllPagesAsync(org, new { field = "MODEL", direction = "DESC" }, first: 2, scope: new { teamId = "platform" }));
    }

    [Theory]
    [InlineData("COST", "DESC")]
    [InlineData("STARTED_AT", "DESC")]
    [InlineData("TOKENS", "ASC")]
    [InlineData("MODEL", "ASC")]
    [InlineData("MODEL", "DESC")]
    public async Task Pages_NeitherSkipNorRepeat_WhileSessionsKeepArriving(string field, string direction)
    {
        var org = await OrgAsync(cluster);
        var models = new[] { "haiku", "opus", "sonnet" };
        Spec Make(string id, int i) => new(id, i % 2 == 0 ? "bob" : "carol", new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(37 * i % (15 * 24 * 60)).ToString("O"),
            1m + i % 13 * 0.5m, models[i % 3], 1000 + i % 11 * 100, 100);
        var original = Enumerable.Range(0, 40).Select(i => Make($"s{i:D3}", i)).ToList();
        await org.ObserveAsync(original.Select(s => s.Request).ToArray());

        object Key(Spec s) => field switch { "COST" => s.Cost, "STARTED_AT" => DateTimeOffset.Parse(s.StartedAt), "TOKENS" => s.Tokens, _ => s.Model };
        int Compare(Spec a, Spec b)
        {
            var byKey = field == "MODEL"
                ? (string.CompareOrdinal(a.Model, b.Model) is var m and not 0 ? m : DateTimeOffset.Parse(a.StartedAt).CompareTo(DateTimeOffset.Parse(b.StartedAt)))
                : ((IComparable)Key(a)).CompareTo(Key(b));
            var c = byKey != 0 ? byKey : string.CompareOrdinal(a.Id, b.Id);
            return direction == "DESC" ? -c : c;
        }

        var seen = new List<string>();
        var arrivedAhead = new List<string>();   // sort after the cursor when they arrive: must be listed once
        var arrivedBehind = new List<string>();  // sort before the cursor (earlier pages, or inside the page just read): must not be
        var all = original.ToDictionary(s => s.Id);
        string? after = null;
        for (var n = 0; ; n++)
        {
            var page = await PageAsync(org, orderBy: new { field, direction }, first: 6, after: after);
            var ids = Ids(page);
            seen.AddRange(ids);
            if (!page.GetProperty("pageInfo").GetProperty("hasNextPage").GetBoolean()) break;
            after = page.GetProperty("pageInfo").GetProperty("endCursor").GetString();
            var cursor = all[ids[^1]];

            // New sessions around the page just read: before its first, inside it, right after it, and at the far end.
            var batch = Enumerable.Range(0, 4).Select(k => Make($"n{n:D2}-{k}", 1000 + n * 7 + k * 3)).ToList();
            var tweaks = new[]
            {
                batch[0] with { Cost = all[ids[0]].Cost, StartedAt = all[ids[0]].StartedAt, Input = all[ids[0]].Input, Model = all[ids[0]].Model, Id = "a" + batch[0].Id },
                batch[1] with { Cost = cursor.Cost, StartedAt = cursor.StartedAt, Input = cursor.Input, Model = cursor.Model, Id = (direction == "DESC" ? "a" : "z") + batch[1].Id },
                batch[2] with { Cost = cursor.Cost, StartedAt = cursor.StartedAt, Input = cursor.Input, Model = cursor.Model, Id = (direction == "DESC" ? "z" : "a") + batch[2].Id },
                batch[3],
            };
            await org.ObserveAsync(tweaks.Select(s => s.Request).ToArray());
            foreach (var s in tweaks)
            {
                all[s.Id] = s;
                (Compare(s, cursor) > 0 ? arrivedAhead : arrivedBehind).Add(s.Id);
            }
        }

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal(original.Select(s => s.Id).Order(), seen.Where(original.Select(s => s.Id).Contains).Order());
        Assert.Empty(seen.Intersect(arrivedBehind));
        Assert.Equal(arrivedAhead.Order(), seen.Intersect(arrivedAhead).Order());
        Assert.NotEmpty(arrivedAhead);
        Assert.NotEmpty(arrivedBehind);
        // Everything listed is in order, as if read in one go.
        Assert.Equal(seen.OrderBy(id => all[id], Comparer<Spec>.Create(Compare)), seen);
    }

    [Fact]
    public async Task BadCursorsPageSizesAndIds_FailWithStableCodes()
    {
        var org = await SeededOrgAsync(cluster);
        var costDesc = new { field = "COST", direction = "DESC" };
        var cursor = (await PageAsync(org, orderBy: costDesc, first: 2)).GetProperty("pageInfo").GetProperty("endCursor").GetString();
        Assert.NotNull(cursor);
        Assert.Equal(2, Ids(await PageAsync(org, orderBy: costDesc, first: 2, after: cursor)).Count);

        async Task<string> Code(object variables) => await org.ErrorCodeAsync(List, variables);
        Assert.Equal("INVALID_INPUT", await Code(new { asOf = AsOf, orderBy = new { field = "COST", direction = "ASC" }, after = cursor }));
        Assert.Equal("INVALID_INPUT", await Code(new { asOf = AsOf, after = cursor }));
        Assert.Equal("INVALID_INPUT", await Code(new { asOf = AsOf, orderBy = costDesc, after = "not-a-cursor" }));
        Assert.Equal("INVALID_INPUT", await Code(new { asOf = AsOf, orderBy = costDesc, after = cursor![..^3] }));
        Assert.Equal("INVALID_INPUT", await Code(new { asOf = AsOf, first = 0 }));
        Assert.Equal("INVALID_INPUT", await Code(new { asOf = AsOf, first = 201 }));
        Assert.Equal("INVALID_INPUT", await Code(new { asOf = "2026-11-31" }));
        Assert.Equal(9, Ids(await PageAsync(org, first: 200)).Count);
        Assert.Equal("NOT_FOUND", await Code(new { asOf = AsOf, scope = new { teamId = "nope" } }));
        Assert.Equal("NOT_FOUND", await Code(new { asOf = AsOf, scope = new { costCentreId = "nope" } }));
        Assert.Equal("NOT_FOUND", await Code(new { asOf = AsOf, scope = new { personId = "alice", projectId = "nope" } }));
        Assert.Equal("NOT_FOUND", await Code(new { asOf = AsOf, filter = new { personId = "nobody" } }));

        var missing = await org.DataAsync("""{ session(id: "nope") { id } }""");
        Assert.Equal(JsonValueKind.Null, missing.GetProperty("session").ValueKind);
        Assert.Equal("NOT_FOUND", await org.ErrorCodeAsync("""{ myUsage(personId: "nobody") { spend } }"""));
    }

    [Fact]
    public async Task Session_ShowsEveryField_AndIncrementalCostConsumesThePlanAllowanceInStartOrder()
    {
        // $10 included per person per month on claude: alice's a1 (4) and a2 (1.5) are covered; a3 (6) only
        // up to the 4.5 left; a4 (2) not at all. Cursor has no allowance.
        var org = await SeededOrgAsync(cluster, included: 10m);
        await org.ObserveAsync(new Spec("a3", "alice", "2026-11-06T09:00:00Z", 6m).Request, new Spec("a4", "alice", "2026-11-07T09:00:00Z", 2m).Request);

        var data = await org.DataAsync("""
            { session(id: "a3") { id person { id name } subject providerId model startedAt endedAt inputTokens outputTokens cachedInputTokens totalTokens
                                  turns costUsd marketCostUsd incrementalCostUsd project { id } projectSource context { repo } frustration apiKeyId } }
            """);
        var a3 = data.GetProperty("session");
        Assert.Equal(("Alice", "p:alice", "claude", "sonnet", "2026-11-06T09:00:00Z", 1200, 3),
            (a3.GetProperty("person").GetProperty("name").GetString(), a3.GetProperty("subject").GetString(), a3.GetProperty("providerId").GetString(),
             a3.GetProperty("model").GetString(), a3.GetProperty("startedAt").GetString(), a3.GetProperty("totalTokens").GetInt32(), a3.GetProperty("turns").GetInt32()));
        Assert.Equal((6m, 6m, 1.5m), (Dec(a3, "costUsd"), Dec(a3, "marketCostUsd"), Dec(a3, "incrementalCostUsd")));
        Assert.Equal(JsonValueKind.Null, a3.GetProperty("project").ValueKind);

        var page = await org.DataAsync("""
            { sessions(asOf: "2026-11-20", scope: { personId: "alice" }, orderBy: { field: STARTED_AT, direction: ASC }) {
                edges { node { id ...money } } } }
            fragment money on Session { costUsd incrementalCostUsd }
            """);
        var incremental = page.GetProperty("sessions").GetProperty("edges").EnumerateArray()
            .ToDictionary(e => e.GetProperty("node").GetProperty("id").GetString()!, e => Dec(e.GetProperty("node"), "incrementalCostUsd"));
        Assert.Equal(new Dictionary<string, decimal> { ["a1"] = 0m, ["a2"] = 0m, ["a3"] = 1.5m, ["a4"] = 2m }, incremental);

        var orgWide = await org.DataAsync("""{ sessions(asOf: "2026-11-20") { edges { node { id incrementalCostUsd } } } }""");
        var d1 = orgWide.GetProperty("sessions").GetProperty("edges").EnumerateArray().Single(e => e.GetProperty("node").GetProperty("id").GetString() == "d1");
        Assert.Equal(9m, Dec(d1.GetProperty("node"), "incrementalCostUsd"));

        var usage = (await org.DataAsync("""
            { myUsage(personId: "alice", asOf: "2026-11-20") { person { id } range { start end } incremental: spend market: spend(costMode: MARKET) sessionCount unmatchedCount } }
            """)).GetProperty("myUsage");
        Assert.Equal((3.5m, 13.5m, 4, 2), (Dec(usage, "incremental"), Dec(usage, "market"), usage.GetProperty("sessionCount").GetInt32(), usage.GetProperty("unmatchedCount").GetInt32()));
    }

    [Fact]
    public async Task MyUsage_ListsThePersonsSessions_AndTheUnmatchedOnes()
    {
        var org = await SeededOrgAsync(cluster);
        const string Query = """
            query($after: String, $unmatched: Boolean) { myUsage(personId: "bob", asOf: "2026-11-20") {
              person { name } spend sessionCount unmatchedCount
              sessions(first: 1, after: $after, unmatchedOnly: $unmatched, orderBy: { field: COST, direction: DESC }) {
                totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } } }
            """;
        var usage = (await org.DataAsync(Query)).GetProperty("myUsage");
        Assert.Equal(("Bob", 9.25m, 2, 1), (usage.GetProperty("person").GetProperty("name").GetString(), Dec(usage, "spend"),
            usage.GetProperty("sessionCount").GetInt32(), usage.GetProperty("unmatchedCount").GetInt32()));
        var sessions = usage.GetProperty("sessions");
        Assert.Equal(2, sessions.GetProperty("totalCount").GetInt32());
        Assert.Equal(["b1"], Ids(sessions));
        var next = (await org.DataAsync(Query, new { after = sessions.GetProperty("pageInfo").GetProperty("endCursor").GetString() }))
            .GetProperty("myUsage").GetProperty("sessions");
        Assert.Equal(["b2"], Ids(next));
        Assert.False(next.GetProperty("pageInfo").GetProperty("hasNextPage").GetBoolean());
        Assert.Equal(["b1"], Ids((await org.DataAsync(Query, new { unmatched = true })).GetProperty("myUsage").GetProperty("sessions")));
    }

    [Fact]
    public async Task MarkSessionProject_MovesSpendInEveryRollup_AndTeachesTheClassifier()
    {
        var org = await SeededOrgAsync(cluster);
        await org.ObserveAsync(new Spec("f1", "bob", "2026-11-11T09:00:00Z", 8m, Repo: "https://github.com/acme/tools").Request);
        var teamOnWeb = new { teamId = "platform", projectId = "web" };
        decimal ByProject(JsonElement view, string key) =>
            view.GetProperty("byProject").EnumerateArray().Where(a => a.GetProperty("key").GetString() == key).Select(a => Dec(a, "amount")).SingleOrDefault();

        // Before: web = a1 (4 × 0.6 in platform-db) + c1 (3 × 0.5) in the platform team; org-wide web 7, unmatched 24.25 + f1 8.
        Assert.Equal(3.9m, Dec((await org.DataAsync(Attribution, new { scope = teamOnWeb })).GetProperty("attribution"), "total"));
        var before = (await org.DataAsync(Attribution)).GetProperty("attribution");
        Assert.Equal((7m, 32.25m), (ByProject(before, "web"), ByProject(before, "unmatched")));
        Assert.Contains("f1", await IdSetAsync(org, filter: new { unmatchedOnly = true }));

        var marked = (await org.DataAsync(Mark, new { input = new { sessionId = "f1", projectId = "web" } })).GetProperty("markSessionProject");
        Assert.Equal(("f1", "web", "Web app", "MARKED", 8m), (marked.GetProperty("id").GetString(), marked.GetProperty("project").GetProperty("id").GetString(),
            marked.GetProperty("project").GetProperty("name").GetString(), marked.GetProperty("projectSource").GetString(), Dec(marked, "incrementalCostUsd")));

        Assert.Equal(11.9m, Dec((await org.DataAsync(Attribution, new { scope = teamOnWeb })).GetProperty("attribution"), "total"));
        var after = (await org.DataAsync(Attribution)).GetProperty("attribution");
        Assert.Equal((15m, 24.25m, Dec(before, "total")), (ByProject(after, "web"), ByProject(after, "unmatched"), Dec(after, "total")));
        Assert.Equal(8m, Dec((await org.DataAsync(Attribution, new { scope = new { personId = "bob", projectId = "web" } })).GetProperty("attribution"), "total"));
        Assert.DoesNotContain("f1", await IdSetAsync(org, filter: new { unmatchedOnly = true }));
        Assert.Equal(["a1", "c1", "f1"], (await IdSetAsync(org, new { projectId = "web" })).Order());
        // bob's unmatched sessions were b1 and f1.
        Assert.Equal(1, (await org.DataAsync("""{ myUsage(personId: "bob", asOf: "2026-11-20") { unmatchedCount } }""")).GetProperty("myUsage").GetProperty("unmatchedCount").GetInt32());

        // Marking again changes nothing.
        await org.DataAsync(Mark, new { input = new { sessionId = "f1", projectId = "web" } });
        Assert.Equal(11.9m, Dec((await org.DataAsync(Attribution, new { scope = teamOnWeb })).GetProperty("attribution"), "total"));

        // The classifier learned the context: a later session from the same repository (in another spelling) lands on web.
        await org.ObserveAsync(new Spec("g1", "dave", "2026-11-16T09:00:00Z", 1m, Repo: "git@github.com:Acme/tools.git").Request);
        var g1 = (await org.DataAsync("""{ session(id: "g1") { project { id } projectSource } }""")).GetProperty("session");
        Assert.Equal(("web", "INFERRED"), (g1.GetProperty("project").GetProperty("id").GetString(), g1.GetProperty("projectSource").GetString()));

        // A session the agent had put on a project can be corrected; the spend moves from one project to the other.
        await org.DataAsync(Mark, new { input = new { sessionId = "b2", projectId = "api" } });
        var moved = (await org.DataAsync(Attribution)).GetProperty("attribution");
        Assert.Equal((0m, 3.75m), (ByProject(moved, "docs"), ByProject(moved, "api")));
    }

    [Fact]
    public async Task MarkRetriedAfterAFailureMidway_Converges_WithoutCountingTwice()
    {
        var org = await SeededOrgAsync(cluster);
        await org.ObserveAsync(new Spec("f3", "bob", "2026-11-11T09:00:00Z", 8m, Repo: "github.com/acme/cli").Request);
        // A mark that failed after its first step: the partition moved the session (and its rollups), nothing else happened.
        var partition = org.Grains.GetGrain<Flowstate.Usage.IUsagePartitionGrain>(PartitionKeys.Of(org.Id, "claude", "p:bob", new Period(2026, 11)));
        Assert.True(await partition.SetProjectAsync("f3", "api"));
        var moved = (await org.DataAsync(Attribution, new { scope = new { projectId = "api" } })).GetProperty("attribution");
        Assert.Equal(9.5m, Dec(moved, "total"));
        Assert.Contains("f3", await IdSetAsync(org, filter: new { unmatchedOnly = true }));

        // The retry repeats the partition step as a no-op and finishes the others.
        var marked = (await org.DataAsync(Mark, new { input = new { sessionId = "f3", projectId = "api" } })).GetProperty("markSessionProject");
        Assert.Equal("MARKED", marked.GetProperty("projectSource").GetString());
        Assert.Equal(9.5m, Dec((await org.DataAsync(Attribution, new { scope = new { projectId = "api" } })).GetProperty("attribution"), "total"));
        Assert.DoesNotContain("f3", await IdSetAsync(org, filter: new { unmatchedOnly = true }));
        await org.ObserveAsync(new Spec("g3", "carol", "2026-11-16T09:00:00Z", 1m, Repo: "github.com/acme/cli").Request);
        Assert.Equal("api", (await org.DataAsync("""{ session(id: "g3") { project { id } } }""")).GetProperty("session").GetProperty("project").GetProperty("id").GetString());
    }

    [Fact]
    public async Task FailedMark_ChangesNothing()
    {
        var org = await SeededOrgAsync(cluster);
        await org.ObserveAsync(new Spec("f2", "bob", "2026-11-11T09:00:00Z", 8m, Repo: "github.com/acme/other").Request);
        var before = await org.DataAsync(Attribution);
        var listBefore = await PageAsync(org);

        Assert.Equal("NOT_FOUND", await org.ErrorCodeAsync(Mark, new { input = new { sessionId = "f2", projectId = "nope" } }));
        Assert.Equal("NOT_FOUND", await org.ErrorCodeAsync(Mark, new { input = new { sessionId = "nope", projectId = "web" } }));
        Assert.Equal("NOT_FOUND", await org.ErrorCodeAsync(Mark, new { input = new { sessionId = new string('x', 300), projectId = "web" } }));

        Assert.Equal(before.ToString(), (await org.DataAsync(Attribution)).ToString());
        Assert.Equal(listBefore.ToString(), (await PageAsync(org)).ToString());
        var f2 = (await org.DataAsync("""{ session(id: "f2") { project { id } projectSource } }""")).GetProperty("session");
        Assert.Equal(JsonValueKind.Null, f2.GetProperty("project").ValueKind);
        // Nothing was learned either.
        await org.ObserveAsync(new Spec("g2", "dave", "2026-11-16T09:00:00Z", 1m, Repo: "github.com/acme/other").Request);
        Assert.Equal(JsonValueKind.Null, (await org.DataAsync("""{ session(id: "g2") { project { id } } }""")).GetProperty("session").GetProperty("project").ValueKind);
    }
}
