namespace Flowstate.Connectors;

/// <summary>The provider APIs a connector can pull.</summary>
public enum ConnectorKind { OpenAi = 0, Anthropic = 1, Cursor = 2, GithubCopilot = 3 }

/// <summary>What a billing line charges for (mirrors the billing row kinds, without depending on them).</summary>
public enum PulledKind { Usage = 0, Seat = 1, Credit = 2, Adjustment = 3 }

/// <summary>
/// One pull: the provider's API at <see cref="BaseUrl"/>, usage days <see cref="From"/> to
/// <see cref="To"/> inclusive (UTC). <see cref="Account"/> is the GitHub organization for
/// Copilot; <see cref="SeatFeeUsd"/> the plan's monthly seat fee; <see cref="UsdRates"/> the USD
/// value of one unit of any other currency the provider may bill in (none: such items fail the run).
/// </summary>
public sealed record PullRequest(
    Uri BaseUrl,
    string Credential,
    DateOnly From,
    DateOnly To,
    string? Account = null,
    decimal SeatFeeUsd = 0m,
    IReadOnlyDictionary<string, decimal>? UsdRates = null)
{
    public override string ToString() => $"{BaseUrl} {From:yyyy-MM-dd}..{To:yyyy-MM-dd}";   // never the credential
}

/// <summary>
/// One billing row: one provider × usage day × subject-or-account × kind, with an id derived from
/// those so that a re-pull reaches the same row. <see cref="AmountUsd"/> is the exact sum of the
/// day's items.
/// </summary>
public sealed record PulledRow(
    string ExternalId,
    string? Subject,
    string? Account,
    DateOnly UsageDate,
    decimal AmountUsd,
    decimal? ListAmountUsd,
    PulledKind Kind,
    string Description);

/// <summary>A provider's own estimate of a person's cost on a day (e.g. Claude Code analytics): evidence, never billed money.</summary>
public sealed record UsageEstimate(string Subject, DateOnly Day, decimal EstimatedUsd, string Source);

/// <summary>What a pull brought back. <see cref="Warnings"/> are checks that did not add up (e.g. Cursor's cycle spend).</summary>
public sealed record PullResult(
    IReadOnlyList<PulledRow> Rows,
    IReadOnlyList<UsageEstimate> Estimates,
    IReadOnlyList<string> Warnings,
    int Requests);

/// <summary>
/// One provider's billing API. A connector maps the provider's items to billing rows and knows
/// nothing of grains. It reads every page before it returns, so a failed pull yields nothing at
/// all (never half a range); it throws <see cref="ConnectorException"/> naming the endpoint, page
/// and field when the provider's answer cannot be used.
/// </summary>
public interface IConnector
{
    ConnectorKind Kind { get; }

    /// <summary>The provider's public API, used when an integration names no baseUrl.</summary>
    Uri DefaultBaseUrl { get; }

    Task<PullResult> PullAsync(PullRequest request, CancellationToken cancellationToken = default);
}
