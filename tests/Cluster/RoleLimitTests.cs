using System.Text.Json;
using Flowstate.GraphQL.Types;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Cluster;

/// <summary>
/// The limits inside the fields a role may call (DESIGN §7): a manager is clamped to the sub-trees of
/// the token's teams, and anything outside is FORBIDDEN (never an empty answer); an engineer's usage,
/// session detail and marks are their own person's only.
/// Workforce (TestOrg.UseSmallWorkforceAsync): platform ⊃ platform-db; support; alice in platform-db and
/// support, bob in platform, dave in no team.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RoleLimitTests(FlowstateCluster cluster)
{
    private async Task<TestOrg> SeedAsync()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.UseSmallWorkforceAsync();
        await org.ObserveAsync(
            TestOrg.Session("s-alice", "alice", "2026-11-03T10:00:00Z", 10m),
            TestOrg.Session("s-bob", "bob", "2026-11-04T10:00:00Z", 4m),
            TestOrg.Session("s-dave", "dave", "2026-11-05T10:00:00Z", 100m));
        await FlowstateCluster.EventuallyAsync(async () =>
            (await org.DataAsync("""{ attribution(asOf: "2026-11-20") { total } }""")).GetProperty("attribution").GetProperty("total").GetString() == "114",
            "rollups of the seeded sessions");
        return org;
    }

    private static FlowstateUserContext Manager(TestOrg org, params string[] teams) =>
        new() { Org = org.Id, Actor = "manager@" + org.Id, Roles = new HashSet<string> { "manager" }, Teams = teams };

    private static FlowstateUserContext Engineer(TestOrg org, string person) =>
        new() { Org = org.Id, Actor = person + "@" + org.Id, Roles = new HashSet<string> { "engineer" }, Person = person };

    private async Task<(string? Code, JsonElement Data)> AskAsync(FlowstateUserContext caller, string query)
    {
        var json = await cluster.GraphQLAsync(caller, query);
        var code = json.TryGetProperty("errors", out var errors) ? errors[0].GetProperty("extensions").GetProperty("code").GetString() : null;
        return (code, json.TryGetProperty("data", out var data) ? data : default);
    }

    [Fact]
    public async Task Manager_WithoutAScope_IsClampedToTheirTeam()
    {
        var org = await SeedAsync();
        const string Team = """{ attribution(asOf: "2026-11-20", scope: { teamId: "platform" }) { total } sessions(asOf: "2026-11-20", scope: { teamId: "platform" }) { totalCount } }""";
        var admin = await org.DataAsync(Team);
        var (code, data) = await AskAsync(Manager(org, "platform"), """{ attribution(asOf: "2026-11-20") { total } sessions(asOf: "2026-11-20") { totalCount } }""");
        Assert.Null(code);
        Assert.Equal(admin.GetProperty("attribution").GetProperty("total").GetString(), data.GetProperty("attribution").GetProperty("total").GetString());
        Assert.Equal(admin.GetProperty("sessions").GetProperty("totalCount").GetInt32(), data.GetProperty("sessions").GetProperty("totalCount").GetInt32());
        Assert.NotEqual("114", data.GetProperty("attribution").GetProperty("total").GetString());   // dave's 100 is not theirs
        // A sub-team of theirs is theirs too.
        Assert.Null((await AskAsync(Manager(org, "platform"), """{ attribution(asOf: "2026-11-20", scope: { teamId: "platform-db" }) { total } }""")).Code);
    }

    [Theory]
    [InlineData("""{ attribution(asOf: "2026-11-20", scope: { teamId: "support" }) { total } }""")]
    [InlineData("""{ sessions(asOf: "2026-11-20", scope: { teamId: "support" }) { totalCount } }""")]
    [InlineData("""{ attribution(asOf: "2026-11-20", scope: { teamId: "no-such-team" }) { total } }""")]
    [InlineData("""{ myUsage(personId: "dave", asOf: "2026-11-20") { sessionCount } }""")]
    [InlineData("""{ session(id: "s-dave") { id } }""")]
    [InlineData("""{ sessions(asOf: "2026-11-20", filter: { personId: "dave" }) { totalCount } }""")]
    [InlineData("""{ attribution(asOf: "2026-11-20", scope: { personId: "dave" }) { total } }""")]
    public async Task Manager_AskingOutsideTheirTeams_IsForbidden(string query)
    {
        var org = await SeedAsync();
        Assert.Equal("FORBIDDEN", (await AskAsync(Manager(org, "platform-db"), query.Replace("support", "platform"))).Code);
        Assert.Equal("FORBIDDEN", (await AskAsync(Manager(org, "platform"), query)).Code);
    }

    [Fact]
    public async Task Manager_WithNoTeams_OrSeveralAndNoScope_IsForbidden()
    {
        var org = await SeedAsync();
        Assert.Equal("FORBIDDEN", (await AskAsync(Manager(org), """{ attribution(asOf: "2026-11-20") { total } }""")).Code);
        Assert.Equal("FORBIDDEN", (await AskAsync(Manager(org, "platform", "support"), """{ sessions(asOf: "2026-11-20") { totalCount } }""")).Code);
        Assert.Null((await AskAsync(Manager(org, "platform", "support"), """{ sessions(asOf: "2026-11-20", scope: { teamId: "support" }) { totalCount } }""")).Code);
        Assert.Null((await AskAsync(Manager(org, "platform"), """{ myUsage(personId: "bob", asOf: "2026-11-20") { sessionCount } }""")).Code);
    }

    [Fact]
    public async Task Engineer_MyUsageWithoutPersonId_IsTheirOwn()
    {
        var org = await SeedAsync();
        var (code, data) = await AskAsync(Engineer(org, "alice"), """{ myUsage(asOf: "2026-11-20") { person { id } sessionCount sessions { edges { node { id } } } } }""");
        Assert.Null(code);
        Assert.Equal("alice", data.GetProperty("myUsage").GetProperty("person").GetProperty("id").GetString());
        Assert.Equal(["s-alice"], data.GetProperty("myUsage").GetProperty("sessions").GetProperty("edges").EnumerateArray()
            .Select(e => e.GetProperty("node").GetProperty("id").GetString()!));
        Assert.Equal("FORBIDDEN", (await AskAsync(Engineer(org, "alice"), """{ myUsage(personId: "bob", asOf: "2026-11-20") { sessionCount } }""")).Code);
    }

    [Fact]
    public async Task Engineer_SeesAndMarksOnlyTheirOwnSessions()
    {
        var org = await SeedAsync();
        var alice = Engineer(org, "alice");
        Assert.Null((await AskAsync(alice, """{ session(id: "s-alice") { id } }""")).Code);
        Assert.Equal("FORBIDDEN", (await AskAsync(alice, """{ session(id: "s-bob") { id } }""")).Code);

        var bobsBefore = (await org.DataAsync("""{ session(id: "s-bob") { project { id } } }""")).GetRawText();
        Assert.Equal("FORBIDDEN", (await AskAsync(alice, """mutation { markSessionProject(input: { sessionId: "s-bob", projectId: "web" }) { id } }""")).Code);
        Assert.Equal(bobsBefore, (await org.DataAsync("""{ session(id: "s-bob") { project { id } } }""")).GetRawText());

        var (code, data) = await AskAsync(alice, """mutation { markSessionProject(input: { sessionId: "s-alice", projectId: "web" }) { project { id } } }""");
        Assert.Null(code);
        Assert.Equal("web", data.GetProperty("markSessionProject").GetProperty("project").GetProperty("id").GetString());
        Assert.Equal("NOT_FOUND", (await AskAsync(alice, """mutation { markSessionProject(input: { sessionId: "s-nobody", projectId: "web" }) { id } }""")).Code);
    }
}
