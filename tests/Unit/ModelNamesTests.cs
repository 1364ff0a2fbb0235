using Flowstate.Domain;
using Flowstate.Providers;

namespace Flowstate.Tests.Unit;

public sealed class ModelNamesTests
{
    [Theory]
    [InlineData("cursor", "claude-4.5-sonnet")]
    [InlineData("copilot", "claude-sonnet-4.5")]
    [InlineData("anthropic", "claude-sonnet-4-5")]
    [InlineData("anthropic", "claude-sonnet-4-5-20250929")]
    [InlineData("some-other-id", "Claude-4.5-Sonnet")]
    [InlineData(null, "claude-sonnet-4.5")]
    public void EverySpellingOfSonnet45_IsOneModel(string? provider, string name) =>
        Assert.Equal("claude-sonnet-4-5", ModelNames.Canonical(provider, name));

    [Theory]
    [InlineData("cursor", "auto")]
    [InlineData("copilot", "My-Custom-Model ")]
    [InlineData(null, "gpt-5")]
    public void UnknownNames_AreLeftAsTheyCame(string? provider, string name) => Assert.Equal(name, ModelNames.Canonical(provider, name));

    [Fact]
    public void NoAliasMeansTwoModels_AcrossProviders()
    {
        var all = ModelNames.Aliases.Values.SelectMany(t => t).GroupBy(e => e.Key, StringComparer.OrdinalIgnoreCase);
        Assert.All(all, g => Assert.Single(g.Select(e => e.Value).Distinct()));
        // A canonical name is never itself an alias of something else.
        var aliases = all.Select(g => g.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain(ModelNames.Aliases.Values.SelectMany(t => t.Values), aliases.Contains);
    }

    [Fact]
    public void APriceUnderOneSpelling_PricesASessionUnderAnother()
    {
        var prices = new[] { new ModelPrice("claude-4.5-sonnet", 3m, 15m, 0.3m, new DateOnly(2025, 1, 1)) };
        var cost = Pricing.Price(ProviderPlan.None, prices, "claude-sonnet-4-5", new DateOnly(2026, 11, 3), 1_000_000, 0, 0, null);
        Assert.Equal(3m, cost?.CostUsd);
        Assert.Null(Pricing.Price(ProviderPlan.None, prices, "claude-opus-4-5", new DateOnly(2026, 11, 3), 1, 0, 0, null));
    }
}
