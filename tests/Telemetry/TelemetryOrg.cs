using System.Text.Json;
using Flowstate.Providers;
using Flowstate.Tests.Infrastructure;
using Flowstate.Workforce;

namespace Flowstate.Tests.Telemetry;

/// <summary>
/// An org whose providers own the fixtures' service names: Claude Code (no price list, a 20% discount:
/// the agent's cost is the market cost), Codex CLI, Gemini CLI and a GenAI-instrumented review bot
/// (each priced from tokens). Alice and Bob are people; the fixtures' records are Alice's.
/// </summary>
public static class TelemetryOrg
{
    public static async Task<TestOrg> CreateAsync(FlowstateCluster cluster)
    {
        var org = new TestOrg(cluster);
        var from = new DateOnly(2026, 1, 1);
        await Configure(org, "claude", "Claude Code", 0.2m, [], "claude-code", "claude-code-desktop");
        await Configure(org, "codex", "Codex CLI", 0m, [new ModelPrice("gpt-5.2-codex", 1.25m, 10m, 0.125m, from)], "codex_cli_rs");
        await Configure(org, "gemini", "Gemini CLI", 0m, [new ModelPrice("gemini-2.5-pro", 1.25m, 10m, 0.31m, from)], "gemini-cli");
        await Configure(org, "reviewbot", "Review bot", 0m, [new ModelPrice("claude-sonnet-5", 3m, 15m, 0.3m, from)], "acme-review-bot");
        await org.Grains.GetGrain<IOrgGrain>(org.Id).UpsertWorkforceAsync(new WorkforceUpsert([], [],
            [new Person("alice", "alice@acme.example", "Alice", PersonKind.Employee, []),
             new Person("bob", "bob@acme.example", "Bob", PersonKind.Employee, [])],
            [new Project("payments", "Payments", ["github.com/acme/payments"])], []));
        return org;
    }

    private static Task Configure(TestOrg org, string id, string name, decimal discount, IReadOnlyList<ModelPrice> prices, params string[] services) =>
        org.Provider(id).ConfigureAsync(new ProviderConfig(id, name, "coding", new ProviderPlan(0, 0, discount), prices, MatchTolerance.Default, services));

    /// <summary>A session through GraphQL, or null while it has not been folded yet.</summary>
    public static async Task<JsonElement?> SessionAsync(TestOrg org, string id)
    {
        var data = await org.DataAsync("""
            query($id: ID!) { session(id: $id) { id providerId model startedAt endedAt inputTokens outputTokens cachedInputTokens turns
              costUsd marketCostUsd person { id } subject project { id } } }
            """, new { id });
        var session = data.GetProperty("session");
        return session.ValueKind == JsonValueKind.Null ? null : session;
    }

    /// <summary>Waits until the session is there with the expected cost (folding is asynchronous) and returns it.</summary>
    public static async Task<JsonElement> FoldedAsync(TestOrg org, string id, string costUsd)
    {
        JsonElement? session = null;
        await FlowstateCluster.EventuallyAsync(async () =>
            (session = await SessionAsync(org, id)) is { } s && s.GetProperty("costUsd").GetString() == costUsd, $"session {id} folded with cost {costUsd}");
        return session!.Value;
    }

    public static async Task<decimal> MarketTotalAsync(TestOrg org) =>
        decimal.Parse((await org.DataAsync("""{ attribution(range: LAST_30_DAYS, costMode: MARKET, asOf: "2026-11-20") { total } }"""))
            .GetProperty("attribution").GetProperty("total").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
}
