using System.Text.Json;
using Flowstate.GraphQL.Types;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Cluster;

/// <summary>
/// Prompt and response (DESIGN §7): optional on ingest, bounded, stored apart from the sessions
/// table, shown only on the ENTERPRISE plan to an admin or the session's own person; every other
/// read answers null and is recorded.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SessionContentTests(FlowstateCluster cluster)
{
    private const string Ingest = "mutation($i: IngestSessionsInput!) { ingestSessions(input: $i) { accepted duplicates rejected { index code message } } }";

    private static object Session(string id, string subject, string? prompt, string? response) => new
    {
        id, subject, providerId = "claude", model = "sonnet", startedAt = "2026-11-03T10:00:00Z", inputTokens = 100, outputTokens = 20, costUsd = "1.5", prompt, response,
    };

    private async Task<TestOrg> OrgWithContentAsync()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.UseSmallWorkforceAsync();
        var result = (await org.DataAsync(Ingest, new { i = new { sessions = new[]
        {
            Session("s1", "alice", "Why does the build fail?\nSee the log.", "Because the cache is stale."),
            Session("s2", "bob", "bob's prompt", null),
            Session("s3", "alice", null, null),
        } } })).GetProperty("ingestSessions");
        Assert.Equal(3, result.GetProperty("accepted").GetInt32());
        return org;
    }

    private static FlowstateUserContext Caller(TestOrg org, string role, string? person = null, params string[] teams) =>
        new() { Org = org.Id, Actor = $"{role}-{person}@{org.Id}", Roles = new HashSet<string> { role }, Person = person, Teams = teams };

    private async Task<JsonElement> ContentAsync(FlowstateUserContext caller, string sessionId)
    {
        var json = await cluster.GraphQLAsync(caller, "query($id: ID!) { session(id: $id) { id content { prompt response } } }", new { id = sessionId });
        Assert.False(json.TryGetProperty("errors", out var errors), errors.ToString());
        return json.GetProperty("data").GetProperty("session").GetProperty("content");
    }

    private async Task<List<(string Session, string Actor, string Reason)>> DenialsAsync(TestOrg org) =>
        (await org.DataAsync("{ contentAccessDenials(first: 200) { sessionId actor reason } }")).GetProperty("contentAccessDenials").EnumerateArray()
            .Select(d => (d.GetProperty("sessionId").GetString()!, d.GetProperty("actor").GetString()!, d.GetProperty("reason").GetString()!)).ToList();

    [Fact]
    public async Task Content_OnTheStandardPlan_IsNullForEveryone_AndEachDenialIsRecorded()
    {
        var org = await OrgWithContentAsync();
        Assert.Equal("STANDARD", (await org.DataAsync("{ org { plan configured } }")).GetProperty("org").GetProperty("plan").GetString());
        Assert.Equal(JsonValueKind.Null, (await ContentAsync(FlowstateCluster.Admin(org.Id), "s1")).ValueKind);
        Assert.Equal(JsonValueKind.Null, (await ContentAsync(Caller(org, "engineer", "alice"), "s1")).ValueKind);
        var denials = await DenialsAsync(org);
        Assert.Equal([("s1", "engineer-alice@" + org.Id, "PLAN_NOT_ENTERPRISE"), ("s1", "tester@" + org.Id, "PLAN_NOT_ENTERPRISE")], denials);
    }

    [Fact]
    public async Task Content_OnEnterprise_IsShownToAdminsAndTheSessionsOwnPerson_Only()
    {
        var org = await OrgWithContentAsync();
        var configured = (await org.DataAsync("mutation { configureOrg(input: { plan: ENTERPRISE }) { id plan configured configuredBy } }")).GetProperty("configureOrg");
        Assert.Equal(("ENTERPRISE", true, "tester@" + org.Id), (configured.GetProperty("plan").GetString(), configured.GetProperty("configured").GetBoolean(),
            configured.GetProperty("configuredBy").GetString()));

        var admin = await ContentAsync(FlowstateCluster.Admin(org.Id), "s1");
        Assert.Equal(("Why does the build fail?\nSee the log.", "Because the cache is stale."),
            (admin.GetProperty("prompt").GetString(), admin.GetProperty("response").GetString()));
        Assert.Equal("Why does the build fail?\nSee the log.", (await ContentAsync(Caller(org, "engineer", "alice"), "s1")).GetProperty("prompt").GetString());
        Assert.Equal(JsonValueKind.Null, (await ContentAsync(FlowstateCluster.Admin(org.Id), "s3")).ValueKind);   // none was sent
        Assert.Empty(await DenialsAsync(org));

        // A manager of alice's team and finance read the session but not its content; both refusals are recorded.
        Assert.Equal(JsonValueKind.Null, (await ContentAsync(Caller(org, "manager", null, "platform"), "s1")).ValueKind);
        var page = await cluster.GraphQLAsync(Caller(org, "finance"), """{ sessions(asOf: "2026-11-20") { edges { node { id content { prompt } } } } }""");
        Assert.All(page.GetProperty("data").GetProperty("sessions").GetProperty("edges").EnumerateArray(),
            e => Assert.Equal(JsonValueKind.Null, e.GetProperty("node").GetProperty("content").ValueKind));
        var denials = await DenialsAsync(org);
        Assert.Equal(4, denials.Count);
        Assert.All(denials, d => Assert.Equal("NOT_ADMIN_OR_OWNER", d.Reason));
        Assert.Equal(["s1", "s1", "s2", "s3"], denials.Select(d => d.Session).Order());

        // An admin's list batches the content of a whole page.
        var list = await org.DataAsync("""{ sessions(asOf: "2026-11-20", orderBy: { field: STARTED_AT, direction: ASC }) { edges { node { id content { prompt } } } } }""");
        var prompts = list.GetProperty("sessions").GetProperty("edges").EnumerateArray()
            .ToDictionary(e => e.GetProperty("node").GetProperty("id").GetString()!, e => e.GetProperty("node").GetProperty("content"));
        Assert.Equal("bob's prompt", prompts["s2"].GetProperty("prompt").GetString());
        Assert.Equal(JsonValueKind.Null, prompts["s3"].ValueKind);
    }

    [Fact]
    public async Task ConfigureOrg_IsForAdminsOnly()
    {
        var org = await OrgWithContentAsync();
        var json = await cluster.GraphQLAsync(Caller(org, "finance"), "mutation { configureOrg(input: { plan: ENTERPRISE }) { plan } }");
        Assert.Equal("FORBIDDEN", json.GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString());
        Assert.Equal("STANDARD", (await org.DataAsync("{ org { plan } }")).GetProperty("org").GetProperty("plan").GetString());
    }

    [Fact]
    public async Task Content_IsBounded_StoredApart_AndKeptFromTheFirstWrite()
    {
        var org = await OrgWithContentAsync();
        await org.DataAsync("mutation { configureOrg(input: { plan: ENTERPRISE }) { plan } }");
        var tooLong = new string('x', Flowstate.InputLimits.MaxContent + 1);
        var result = (await org.DataAsync(Ingest, new { i = new { sessions = new[]
        {
            Session("big", "alice", tooLong, null),
            Session("nul", "alice", "a\u0000b", null),
            Session("s1", "alice", "a different prompt", "a different response"),
        } } })).GetProperty("ingestSessions");
        // s1 again with other content: the first write wins, and the re-send is reported as a conflict.
        Assert.Equal((0, 0), (result.GetProperty("accepted").GetInt32(), result.GetProperty("duplicates").GetInt32()));
        var rejected = result.GetProperty("rejected").EnumerateArray().ToList();
        Assert.Equal([(0, "INVALID_INPUT"), (1, "INVALID_INPUT"), (2, "CONFLICTING_RESEND")],
            rejected.Select(r => (r.GetProperty("index").GetInt32(), r.GetProperty("code").GetString()!)));
        Assert.Contains("prompt", rejected[0].GetProperty("message").GetString());
        Assert.Equal(JsonValueKind.Null, (await org.DataAsync("""{ session(id: "big") { id } }""")).GetProperty("session").ValueKind);
        Assert.Equal("Why does the build fail?\nSee the log.", (await ContentAsync(FlowstateCluster.Admin(org.Id), "s1")).GetProperty("prompt").GetString());

        Assert.Equal(0L, await cluster.Database.ScalarAsync<long>(
            "select count(*) from information_schema.columns where table_name = 'sessions' and column_name in ('prompt', 'response')"));
        Assert.Equal(2L, await cluster.Database.ScalarAsync<long>("select count(*) from session_content where org = $1", org.Id));
    }
}
