using Orleans.Concurrency;

namespace Flowstate.Integrations;

/// <summary>
/// One provider's billing integration (key: <c>{org}/{providerId}</c>): its connector settings, its
/// encrypted credential, its schedule (one reminder) and its runs. Runs never overlap: the grain
/// takes one call at a time, and only reads interleave with a run.
/// </summary>
[Alias("Flowstate.IIntegrationGrain")]
public interface IIntegrationGrain : IGrainWithStringKey
{
    /// <summary>
    /// Sets the connector and (when given) the credential, which is encrypted before it is stored;
    /// starts the schedule. INVALID_INPUT for a bad baseUrl, schedule, or a Copilot connector without an organization.
    /// </summary>
    [Alias("Configure")] Task<IntegrationView> ConfigureAsync(IntegrationSettings settings, string? credential);

    [AlwaysInterleave, Alias("Get")] Task<IntegrationView> GetAsync();

    /// <summary>
    /// Pulls now and returns the finished run. Without dates: from the oldest unsettled day (90
    /// days back on the first run) to today. INVALID_INPUT when from &gt; to, for a day in the future,
    /// or when the provider has no connector or credential.
    /// </summary>
    [Alias("Pull")] Task<PullRun> PullAsync(DateOnly? from, DateOnly? to);

    /// <summary>Imports a FOCUS CSV export as this provider's billing rows; a file with a bad line imports nothing.</summary>
    [Alias("ImportFocus")] Task<PullRun> ImportFocusAsync(string csv);
}
