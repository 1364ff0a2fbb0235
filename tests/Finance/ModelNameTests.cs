using Flowstate.Providers;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Finance;

/// <summary>One model under three providers' spellings is one model in byModel, frustrationByModel, prices and the sessions filter.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ModelNameTests(FlowstateCluster cluster)
{
    [Fact]
    public async Task ThreeSpellingsOfSonnet45_AreOneModel_AndUnknownNamesStayAsTheyAre()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.UseSmallWorkforceAsync();
        foreach (var (id, model) in new[] { ("cursor", "claude-4.5-sonnet"), ("copilot", "claude-sonnet-4.5"), ("anthropic", "claude-sonnet-4-5") })
            await org.Provider(id).ConfigureAsync(new ProviderConfig(id, id, "coding", ProviderPlan.None,
                [new ModelPrice(model, 3m, 15m, 0.3m, new DateOnly(2025, 1, 1)), new ModelPrice("house-model-x", 1m, 1m, 0m, new DateOnly(2025, 1, 1))],
                MatchTolerance.Default));
        var result = await org.ObserveAsync(
            TestOrg.Session("c1", "alice", "2026-11-10T09:00:00Z", 0m) with { ProviderId = "cursor", Model = "claude-4.5-sonnet", CostUsd = null, InputTokens = 1_000_000, OutputTokens = 0, Frustration = 0.2 },
            TestOrg.Session("g1", "bob", "2026-11-10T09:00:00Z", 0m) with { ProviderId = "copilot", Model = "claude-sonnet-4.5", CostUsd = null, InputTokens = 1_000_000, OutputTokens = 0, Frustration = 0.4 },
            TestOrg.Session("a1", "bob", "2026-11-11T09:00:00Z", 0m) with { ProviderId = "anthropic", Model = "claude-sonnet-4-5", CostUsd = null, InputTokens = 1_000_000, OutputTokens = 0, Frustration = 0.6 },
            TestOrg.Session("x1", "bob", "2026-11-11T10:00:00Z", 0m) with { ProviderId = "anthropic", Model = "house-model-x", CostUsd = null, InputTokens = 1_000_000, OutputTokens = 0, Frustration = null });
        Assert.Equal((4, 0), (result.Accepted, result.Rejected.Count));

        var view = (await org.DataAsync("{ attribution(costMode: MARKET) { byModel { key amount } frustrationByModel { model frustration sessions } } }")).GetProperty("attribution");
        var byModel = view.GetProperty("byModel").EnumerateArray().ToDictionary(a => a.GetProperty("key").GetString()!, a => decimal.Parse(a.GetProperty("amount").GetString()!));
        Assert.Equal(new Dictionary<string, decimal> { ["claude-sonnet-4-5"] = 9m, ["house-model-x"] = 1m }, byModel);
        var sonnet = Assert.Single(view.GetProperty("frustrationByModel").EnumerateArray(), m => m.GetProperty("model").GetString() == "claude-sonnet-4-5");
        Assert.Equal(3, sonnet.GetProperty("sessions").GetInt32());
        Assert.Equal(0.4, sonnet.GetProperty("frustration").GetDouble(), 6);

        foreach (var alias in new[] { "claude-4.5-sonnet", "claude-sonnet-4.5", "claude-sonnet-4-5" })
        {
            var page = (await org.DataAsync("query($m: String) { sessions(filter: { model: $m }) { totalCount edges { node { model } } } }", new { m = alias })).GetProperty("sessions");
            Assert.Equal(3, page.GetProperty("totalCount").GetInt32());
            Assert.All(page.GetProperty("edges").EnumerateArray(), e => Assert.Equal("claude-sonnet-4-5", e.GetProperty("node").GetProperty("model").GetString()));
        }
    }
}
