namespace Flowstate.Domain;

/// <summary>Money arithmetic in one place: decimals only, rounded away from floating point.</summary>
public static class Money
{
    /// <summary>Computed costs keep micro-dollar precision; bills are never rounded.</summary>
    public const int ComputedScale = 6;

    public static decimal RoundComputed(decimal amount) =>
        Math.Round(amount, ComputedScale, MidpointRounding.AwayFromZero);

    /// <summary>Cost of a token count at a price per million tokens.</summary>
    public static decimal PerMillion(long tokens, decimal pricePerMillion) => tokens * pricePerMillion / 1_000_000m;
}
