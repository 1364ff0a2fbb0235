using Flowstate.Durable;
using Orleans.Concurrency;

namespace Flowstate.Providers;

/// <summary>One usage provider of an org: plan, price list, tolerances, integration status. Key: <c>{org}/{providerId}</c>.</summary>
[Alias("Flowstate.IProviderGrain")]
public interface IProviderGrain : IDurableGrain
{
    /// <summary>Creates or replaces the configuration; throws INVALID_INPUT for a bad plan, price or tolerance.</summary>
    [Alias("Configure")] Task<ProviderView> ConfigureAsync(ProviderConfig config);

    /// <summary>
    /// The provider as last stored, or null when it was never configured. Interleaves with the writes (every ingest
    /// batch records its run here), so the ingest path and the fold never queue behind them.
    /// </summary>
    [Alias("Get"), AlwaysInterleave] Task<ProviderView?> GetAsync();

    [Alias("RecordBillingPull")] Task RecordBillingPullAsync(IngestRun run);

    [Alias("RecordTelemetry")] Task RecordTelemetryAsync(IngestRun run);
}
