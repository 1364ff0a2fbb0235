using Flowstate.Domain;
using Flowstate.GraphQL.Types;
using Flowstate.Providers;
using Flowstate.Usage;

namespace Flowstate.Tests.Unit;

public sealed class MoneyAndPricingTests
{
    private static readonly ModelPrice[] Prices =
    [
        new("sonnet", 3m, 15m, 0.3m, new DateOnly(2026, 1, 1)),
        new("sonnet", 2m, 10m, 0.2m, new DateOnly(2026, 10, 1)),
    ];

    [Fact]
    public void Price_UsesThePriceInForceOnTheDay()
    {
        var plan = new ProviderPlan(0, 0, 0);
        var before = Pricing.Price(plan, Prices, "Sonnet", new DateOnly(2026, 9, 30), 1_000_000, 1_000_000, 0, null)!.Value;
        var after = Pricing.Price(plan, Prices, "sonnet", new DateOnly(2026, 10, 1), 1_000_000, 1_000_000, 0, null)!.Value;
        Assert.Equal(18m, before.CostUsd);
        Assert.Equal(12m, after.CostUsd);
        Assert.Null(Pricing.Price(plan, Prices, "sonnet", new DateOnly(2025, 12, 31), 1, 1, 0, null));
        Assert.Null(Pricing.Price(plan, Prices, "opus", new DateOnly(2026, 11, 1), 1, 1, 0, null));
    }

    [Fact]
    public void Price_AppliesDiscountToObservedButNotMarket_AndPricesCachedInput()
    {
        var plan = new ProviderPlan(0, 0, 0.2m);
        var cost = Pricing.Price(plan, Prices, "sonnet", new DateOnly(2026, 11, 1), 500_000, 100_000, 1_000_000, null)!.Value;
        // list = 0.5*2 + 0.1*10 + 1*0.2 = 2.2
        Assert.Equal(2.2m, cost.MarketCostUsd);
        Assert.Equal(1.76m, cost.CostUsd);
    }

    [Fact]
    public void Price_ReportedCost_IsOrgRate_AndMarketGrossesUpTheDiscount()
    {
        var cost = Pricing.Price(new ProviderPlan(0, 0, 0.25m), [], "any", new DateOnly(2026, 11, 1), 0, 0, 0, 3m)!.Value;
        Assert.Equal(3m, cost.CostUsd);
        Assert.Equal(4m, cost.MarketCostUsd);
    }

    [Fact]
    public void Money_StaysDecimal_NoBinaryFloatingPointDrift()
    {
        var total = Enumerable.Repeat(0.1m, 10).Sum();
        Assert.Equal(1.0m, total);
        Assert.Equal(0.000001m, Money.RoundComputed(0.0000005m));
        Assert.Equal(0.15m, Money.PerMillion(50_000, 3m));
    }

    [Theory]
    [InlineData("1234.560000", "1234.56")]
    [InlineData("40", "40")]
    [InlineData("0.000100", "0.0001")]
    [InlineData("-12.50", "-12.5")]
    [InlineData("0", "0")]
    public void DecimalScalar_WritesPlainDecimalStrings(string value, string expected) =>
        Assert.Equal(expected, DecimalScalar.Format(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Allowance_IsConsumedInStartOrder()
    {
        var t = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var sessions = new[]
        {
            new SessionFact("b", t.AddHours(2), 8m, 8m),
            new SessionFact("a", t.AddHours(1), 15m, 15m),
            new SessionFact("c", t.AddHours(3), 4m, 4m),
        };
        var inc = Allowance.Incremental(sessions, 20m);
        Assert.Equal(0m, inc["a"]);
        Assert.Equal(3m, inc["b"]);
        Assert.Equal(4m, inc["c"]);
        Assert.Equal(27m - 20m, inc.Values.Sum());
    }

    [Theory]
    [InlineData("2026-11", true)]
    [InlineData("2026-13", false)]
    [InlineData("2026-1", false)]
    [InlineData("26-11", false)]
    [InlineData("2026/11", false)]
    [InlineData("", false)]
    public void Period_ParsesOnlyYearMonth(string text, bool ok)
    {
        Assert.Equal(ok, Period.TryParse(text, out var p));
        if (ok) Assert.Equal(text, p.ToString());
    }

    [Fact]
    public void Period_NextWrapsTheYear() => Assert.Equal("2027-01", Period.Parse("2026-12").Next.ToString());

    [Fact]
    public void RowIds_RoundTripAndCannotForgeKeys()
    {
        var id = GrainKeys.RowId("open ai", "a/b?c");
        Assert.True(GrainKeys.TryParseRowId(id, out var p, out var x));
        Assert.Equal(("open ai", "a/b?c"), (p, x));
        Assert.False(GrainKeys.TryParseRowId("a/b/c", out _, out _));
        Assert.False(GrainKeys.TryParseRowId("noslash", out _, out _));
    }
}
