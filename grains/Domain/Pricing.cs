using Flowstate.Providers;

namespace Flowstate.Domain;

/// <summary>Observed (org-rate) and market (list) cost of one session.</summary>
public readonly record struct SessionCost(decimal CostUsd, decimal MarketCostUsd);

/// <summary>Session pricing of DESIGN §2: the effective-dated list price, less the contracted discount.</summary>
public static class Pricing
{
    /// <summary>The price of a model (under any of its names, see <see cref="ModelNames"/>) in force on a day, or null when none is configured.</summary>
    public static ModelPrice? PriceOn(IReadOnlyList<ModelPrice> prices, string model, DateOnly day) =>
        prices.Where(p => ModelNames.Same(p.Model, model) && p.EffectiveFrom <= day)
              .MaxBy(p => p.EffectiveFrom);

    /// <summary>
    /// Prices a session. <paramref name="reportedCostUsd"/>, when the agent sent one, is taken as the
    /// org-rate cost. Input tokens are the uncached ones; cached input is priced separately.
    /// Returns null when tokens must be priced and no price is configured for the model.
    /// </summary>
    public static SessionCost? Price(ProviderPlan plan, IReadOnlyList<ModelPrice> prices, string model, DateOnly day,
                                     long inputTokens, long outputTokens, long cachedInputTokens, decimal? reportedCostUsd)
    {
        var keep = 1m - plan.Discount;
        if (reportedCostUsd is { } reported)
            return new(reported, keep == 0 ? reported : Money.RoundComputed(reported / keep));

        if (PriceOn(prices, model, day) is not { } price) return null;
        var list = Money.PerMillion(inputTokens, price.InputPerMTokUsd)
                 + Money.PerMillion(outputTokens, price.OutputPerMTokUsd)
                 + Money.PerMillion(cachedInputTokens, price.CachedInputPerMTokUsd);
        return new(Money.RoundComputed(list * keep), Money.RoundComputed(list));
    }

    /// <summary>
    /// Prices one agent call (DESIGN §9): tokens priced from the price list win when the model has a
    /// price on that day; otherwise the agent's own cost, an estimate at list price, is the market cost
    /// and the org-rate cost applies the contracted discount. Null when neither is there.
    /// </summary>
    public static SessionCost? PriceCall(ProviderPlan plan, IReadOnlyList<ModelPrice> prices, string model, DateOnly day,
                                         long inputTokens, long outputTokens, long cachedInputTokens, decimal? reportedListCostUsd)
    {
        var keep = 1m - plan.Discount;
        if (PriceOn(prices, model, day) is { } price)
        {
            var list = Money.PerMillion(inputTokens, price.InputPerMTokUsd)
                     + Money.PerMillion(outputTokens, price.OutputPerMTokUsd)
                     + Money.PerMillion(cachedInputTokens, price.CachedInputPerMTokUsd);
            return new(Money.RoundComputed(list * keep), Money.RoundComputed(list));
        }
        return reportedListCostUsd is { } reported ? new(Money.RoundComputed(reported * keep), Money.RoundComputed(reported)) : null;
    }
}
