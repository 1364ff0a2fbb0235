namespace Flowstate.Connectors.Http;

/// <summary>
/// How connectors talk to providers. The defaults suit the real APIs; tests and benches shorten
/// the delays and lift the rate limits against a local fake.
/// </summary>
public sealed class ConnectorHttpOptions
{
    /// <summary>One attempt's timeout.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>One request's timeout over all its attempts and waits.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Retries after the first attempt, on 5xx, 408, 429 and timeouts.</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>The first retry's delay; later ones grow exponentially, with jitter. A 429's Retry-After wins.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Requests per minute per connector kind, from the providers' documented limits (Cursor's usage
    /// events: 60/min; GitHub's 5,000/h). A kind not listed is not limited here.
    /// </summary>
    public Dictionary<ConnectorKind, int> RequestsPerMinute { get; set; } = new()
    {
        [ConnectorKind.Cursor] = 60,
        [ConnectorKind.GithubCopilot] = 80,
    };
}
