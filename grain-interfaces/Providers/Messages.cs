namespace Flowstate.Providers;

/// <summary>A provider's commercial plan. <c>IncludedUsageUsd</c> is per seat per month.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.ProviderPlan")]
public sealed record ProviderPlan(
    [property: Id(0)] decimal SeatFeeUsd,
    [property: Id(1)] decimal IncludedUsageUsd,
    [property: Id(2)] decimal Discount)
{
    public static readonly ProviderPlan None = new(0m, 0m, 0m);
}

/// <summary>List price of one model from a date on, per million tokens.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.ModelPrice")]
public sealed record ModelPrice(
    [property: Id(0)] string Model,
    [property: Id(1)] decimal InputPerMTokUsd,
    [property: Id(2)] decimal OutputPerMTokUsd,
    [property: Id(3)] decimal CachedInputPerMTokUsd,
    [property: Id(4)] DateOnly EffectiveFrom);

/// <summary>How close billed and observed must be: auto-match ratio (with a $0.01 floor) and suggest ratio.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.MatchTolerance")]
public sealed record MatchTolerance(
    [property: Id(0)] decimal AutoMatchRatio,
    [property: Id(1)] decimal SuggestRatio)
{
    public static readonly MatchTolerance Default = new(0.01m, 0.10m);
}

/// <summary>
/// A usage provider as configured for an org. <see cref="TelemetryService"/> is the OpenTelemetry
/// <c>service.name</c> whose telemetry is this provider's usage (e.g. <c>claude-code</c>).
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.ProviderConfig")]
public sealed record ProviderConfig(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string? Modality,
    [property: Id(3)] ProviderPlan Plan,
    [property: Id(4)] IReadOnlyList<ModelPrice> Prices,
    [property: Id(5)] MatchTolerance Tolerance,
    [property: Id(6)] IReadOnlyList<string>? TelemetryServices = null);

/// <summary>How one ingestion (a billing pull or a telemetry batch) went; <see cref="LatestDay"/> is the newest usage day it carried.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.IngestRun")]
public sealed record IngestRun(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] int Accepted,
    [property: Id(2)] int Duplicates,
    [property: Id(3)] int Rejected,
    [property: Id(4)] IReadOnlyList<string> Errors,
    [property: Id(5)] DateOnly? LatestDay = null)
{
    /// <summary>As a pull's status: SUCCEEDED when nothing was rejected, FAILED when nothing was taken, PARTIAL otherwise.</summary>
    public Integrations.PullStatus Status => Rejected == 0 ? Integrations.PullStatus.Succeeded
        : Accepted + Duplicates == 0 ? Integrations.PullStatus.Failed : Integrations.PullStatus.Partial;
}

/// <summary>
/// A provider's configuration with its feeds: the last billing pull and telemetry batch, the newest
/// usage day each has brought (what coverage is judged on), and the business time of the answer.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.ProviderView")]
public sealed record ProviderView(
    [property: Id(0)] ProviderConfig Config,
    [property: Id(1)] IngestRun? LastBillingPull,
    [property: Id(2)] IngestRun? LastTelemetry,
    [property: Id(3)] DateTimeOffset ConfiguredAt,
    [property: Id(4)] DateOnly? LatestBillingDay = null,
    [property: Id(5)] DateOnly? LatestTelemetryDay = null,
    [property: Id(6)] DateTimeOffset AsOf = default,
    [property: Id(7)] IngestRun? LastTelemetryReceived = null)
{
    public const int DefaultCoverageDays = 30;

    /// <summary>Which feeds brought data for a usage day in the last <paramref name="days"/> days: a feed that stops ages out.</summary>
    public CoverageState Coverage(int days = DefaultCoverageDays)
    {
        var since = DateOnly.FromDateTime(AsOf.UtcDateTime).AddDays(-days);
        var (billed, observed) = (LatestBillingDay >= since, LatestTelemetryDay >= since);
        return (billed, observed) switch
        {
            (true, true) => CoverageState.BillingAndTelemetry,
            (true, false) => CoverageState.BillingOnly,
            (false, true) => CoverageState.TelemetryOnly,
            _ => CoverageState.NotMonitored,
        };
    }
}

/// <summary>Which feeds reach Flowstate for a provider.</summary>
public enum CoverageState { BillingAndTelemetry = 0, BillingOnly = 1, TelemetryOnly = 2, NotMonitored = 3 }
