using System.Text.Json;
using Flowstate.Demo.Sandbox;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Connectors;

/// <summary>
/// <c>PersonInput.aliases</c> over GraphQL: a GitHub login (or telemetry id) stored with the person
/// resolves billing rows to them, case-insensitively like an email; an alias two people claim is
/// INVALID_INPUT and changes nothing.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class AliasTests(FlowstateCluster cluster)
{
    private const string Upsert = "mutation($i: WorkforceInput!) { upsertWorkforce(input: $i) { people } }";
    private const string Rows = """
        query($provider: ID) { reconciliation(period: "2026-11", provider: $provider, first: 50) {
          rows { edges { node { externalId subject { id aliases } } } } } }
        """;

    private static Dictionary<string, JsonElement> RowsOf(JsonElement data) =>
        data.GetProperty("reconciliation").GetProperty("rows").GetProperty("edges").EnumerateArray()
            .Select(e => e.GetProperty("node")).ToDictionary(n => n.GetProperty("externalId").GetString()!);

    [Fact]
    public async Task CopilotSeatsAndBillingRowsNamingAGithubLogin_LandOnThePersonWithThatAlias()
    {
        var org = await TestOrg.CreateAsync(cluster);
        Assert.Equal(3, (await org.DataAsync(Upsert, new { i = new { people = new object[]
        {
            new { id = "carol", email = "carol@acme.example", name = "Carol", aliases = new[] { " Carol-GH ", "carol-gh", "otel-user-7731" } },
        } } })).GetProperty("upsertWorkforce").GetProperty("people").GetInt32());

        var data = new SandboxData
        {
            GitHubToken = "ghp_sandbox_alias_0001",
            CopilotSeats = [new("CAROL-gh", new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero), null, null), new("stranger-gh", new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero), null, null)],
        };
        await using var sandbox = await ProviderSandbox.StartAsync(data);
        await org.DataAsync("mutation($input: ProviderInput!) { configureProvider(input: $input) { id } }", new { input = new
        {
            id = "copilot", name = "GitHub Copilot", plan = new { seatFeeUsd = "19" },
            connector = new { kind = "GITHUB_COPILOT", account = "acme-eng", baseUrl = sandbox.BaseUrl.ToString(), credential = data.GitHubToken },
        } });
        var run = (await org.DataAsync("mutation($input: PullProviderInput!) { pullProvider(input: $input) { status rowsCreated } }",
            new { input = new { providerId = "copilot", from = "2026-11-01", to = "2026-11-20" } })).GetProperty("pullProvider");
        Assert.Equal(("SUCCEEDED", 2), (run.GetProperty("status").GetString(), run.GetProperty("rowsCreated").GetInt32()));

        var rows = RowsOf(await org.DataAsync(Rows, new { provider = "copilot" }));
        var carol = rows["copilot:seat:carol-gh:2026-11"].GetProperty("subject");
        Assert.Equal("carol", carol.GetProperty("id").GetString());
        Assert.Equal("Carol-GH,otel-user-7731", string.Join(",", carol.GetProperty("aliases").EnumerateArray().Select(a => a.GetString())));   // trimmed, once each
        Assert.Equal(JsonValueKind.Null, rows["copilot:seat:stranger-gh:2026-11"].GetProperty("subject").ValueKind);

        // A billing row ingested through the mutation with the alias as subject lands on Carol too.
        await org.DataAsync("mutation($i: IngestBillingRowsInput!) { ingestBillingRows(input: $i) { accepted } }", new { i = new
        {
            providerId = "claude", rows = new[] { new { externalId = "otel-row-1", subject = "OTEL-USER-7731", usageDate = "2026-11-03", totalCostUsd = "1.25" } },
        } });
        Assert.Equal("carol", RowsOf(await org.DataAsync(Rows, new { provider = "claude" }))["otel-row-1"].GetProperty("subject").GetProperty("id").GetString());
    }

    [Fact]
    public async Task AnAliasTwoPeopleClaim_IsInvalidInput_AndTheUpsertChangesNothing()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.DataAsync(Upsert, new { i = new { people = new object[] { new { id = "carol", name = "Carol", aliases = new[] { "carol-gh" } } } } });

        async Task<string> Refused(object[] people)
        {
            var response = await org.GraphQLAsync(Upsert, new { i = new { people } });
            Assert.True(response.TryGetProperty("errors", out var errors), "expected an error, got " + response);
            Assert.Equal("INVALID_INPUT", errors[0].GetProperty("extensions").GetProperty("code").GetString());
            return errors[0].GetProperty("message").GetString()!;
        }

        // Another person claiming a stored alias (any case), together with a new person: nobody is created.
        Assert.Equal("Alias CAROL-GH is claimed by both carol and dave.",
            await Refused([new { id = "erin", name = "Erin" }, new { id = "dave", name = "Dave", aliases = new[] { "CAROL-GH" } }]));
        // Two people of one upsert claiming the same alias.
        Assert.Equal("Alias X-GH is claimed by both erin and frank.",
            await Refused([new { id = "erin", name = "Erin", aliases = new[] { "x-gh" } }, new { id = "frank", name = "Frank", aliases = new[] { "X-GH" } }]));
        // An alias that is someone else's email or id.
        Assert.Equal("Alias BOB@acme.example of erin is already the email of bob.", await Refused([new { id = "erin", name = "Erin", aliases = new[] { "BOB@acme.example" } }]));
        Assert.Equal("Alias alice of erin is already the id of alice.", await Refused([new { id = "erin", name = "Erin", aliases = new[] { "alice" } }]));
        // Bounded count and length; no empty alias.
        Assert.Contains("at most 20", await Refused([new { id = "erin", name = "Erin", aliases = Enumerable.Range(0, 21).Select(i => $"a{i}").ToArray() }]));
        Assert.Contains("at most 200", await Refused([new { id = "erin", name = "Erin", aliases = new[] { new string('a', 201) } }]));
        Assert.Equal("Person erin has an empty alias.", await Refused([new { id = "erin", name = "Erin", aliases = new[] { "  " } }]));

        var counts = (await org.DataAsync(Upsert, new { i = new { people = Array.Empty<object>() } })).GetProperty("upsertWorkforce");
        Assert.Equal(3, counts.GetProperty("people").GetInt32());   // alice, bob, carol: none of the refused upserts applied

        // Carol may move her own alias around, and dropping it frees it for someone else.
        await org.DataAsync(Upsert, new { i = new { people = new object[] { new { id = "carol", name = "Carol", aliases = new[] { "Carol-GH" } } } } });
        await org.DataAsync(Upsert, new { i = new { people = new object[] { new { id = "carol", name = "Carol" }, new { id = "dave", name = "Dave", aliases = new[] { "carol-gh" } } } } });
    }
}
