using System.Text.Json;
using System.Text.RegularExpressions;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Finance;

/// <summary>
/// Runs every GraphQL example of the README (each ```graphql block and the curl query) through the
/// real schema, so that an example the API no longer accepts fails the suite instead of a newcomer.
/// A domain error (an id the test org does not have) is fine; a syntax or validation error is not.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class ReadmeExamplesTests(FlowstateCluster cluster)
{
    /// <summary>Codes a valid document can still get from a small org: ids of the demo org it lacks, and rules of the data.</summary>
    private static readonly string[] DomainCodes = ["NOT_FOUND", "INVALID_INPUT", "NOTE_REQUIRED", "INVALID_TRANSITION", "VERSION_CONFLICT"];

    public static string ReadmeText()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Flowstate.sln"))) return File.ReadAllText(Path.Combine(dir.FullName, "README.md"));
        throw new FileNotFoundException("README.md next to Flowstate.sln");
    }

    /// <summary>The README's GraphQL operations: each one of the fenced graphql blocks, and the query of each curl -d JSON body.</summary>
    public static List<string> Examples(string readme)
    {
        var blocks = GraphQLBlock().Matches(readme).Select(m => m.Groups[1].Value).SelectMany(Operations);
        var curls = CurlBody().Matches(readme).Select(m => JsonDocument.Parse(m.Groups[1].Value).RootElement.GetProperty("query").GetString()!);
        return blocks.Concat(curls).ToList();
    }

    /// <summary>A block may show several operations side by side; each runs on its own.</summary>
    private static IEnumerable<string> Operations(string block) =>
        GraphQLParser.Parser.Parse(block).Definitions.Select(d => block[d.Location.Start..d.Location.End]);

    [Fact]
    public void Readme_HasExamplesToRun() => Assert.True(Examples(ReadmeText()).Count >= 8);

    [Fact]
    public async Task EveryReadmeExample_IsAcceptedByTheSchema()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.UseSmallWorkforceAsync();
        await org.ObserveAsync(TestOrg.Session("s1", "alice", "2026-11-03T09:00:00Z", 10m));
        await org.BillAsync(TestOrg.BillRow("r1", "alice", "2026-11-03", 10m));

        foreach (var example in Examples(ReadmeText()))
        {
            var errors = example.TrimStart().StartsWith("subscription", StringComparison.Ordinal)
                ? await SubscriptionErrorsAsync(org, example)
                : (await org.GraphQLAsync(example)).TryGetProperty("errors", out var e) ? e.EnumerateArray().ToList() : [];
            foreach (var error in errors)
            {
                var code = error.TryGetProperty("extensions", out var x) && x.TryGetProperty("code", out var c) ? c.GetString() : null;
                Assert.True(code is not null && DomainCodes.Contains(code), $"README example fails with {error}:\n{example}");
            }
        }
    }

    [Fact]
    public async Task TheReadmesFirstQuery_AnswersWithData()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.BillAsync(TestOrg.BillRow("r1", "alice", "2026-11-03", 10m));
        var first = Examples(ReadmeText()).Single(e => e.Contains("rows(first: 5)"));
        var data = await org.DataAsync(first);
        Assert.Equal(1, data.GetProperty("reconciliation").GetProperty("rows").GetProperty("totalCount").GetInt32());
    }

    private async Task<List<JsonElement>> SubscriptionErrorsAsync(TestOrg org, string document)
    {
        using var subscriber = await cluster.SubscribeAsync(org.Id, document);
        if (subscriber.Handle is not null) return [];
        var result = await subscriber.NextAsync();
        return result.TryGetProperty("errors", out var e) ? e.EnumerateArray().ToList() : [];
    }

    [GeneratedRegex("```graphql\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex GraphQLBlock();

    [GeneratedRegex("curl [^\\n]*?-d '(\\{.*?\\})'", RegexOptions.Singleline)]
    private static partial Regex CurlBody();
}
