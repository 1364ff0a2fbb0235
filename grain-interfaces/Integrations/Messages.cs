namespace Flowstate.Integrations;

/// <summary>The provider billing APIs an integration can pull (DESIGN §8 <c>ConnectorKind</c>).</summary>
public enum IntegrationKind { OpenAi = 0, Anthropic = 1, Cursor = 2, GithubCopilot = 3 }

/// <summary>How a pull run went (DESIGN §8 <c>PullStatus</c>).</summary>
public enum PullStatus { Running = 0, Succeeded = 1, Partial = 2, Failed = 3 }

/// <summary>What a provider's integration is doing.</summary>
public enum IntegrationState { NotConfigured = 0, Scheduled = 1, Running = 2, Failing = 3 }

/// <summary>
/// A provider's connector: its kind, the API base URL (null: the provider's public API), the
/// GitHub organization for Copilot, the schedule (a run every <see cref="EveryMinutes"/>) and how
/// many days a day's bill takes to settle. The credential travels separately and is never here.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.IntegrationSettings")]
public sealed record IntegrationSettings(
    [property: Id(0)] IntegrationKind Kind,
    [property: Id(1)] string? BaseUrl,
    [property: Id(2)] string? Account,
    [property: Id(3)] int EveryMinutes,
    [property: Id(4)] int SettleDays);

/// <summary>One pull (or FOCUS import) of a provider's bills, with what it did to the billing rows.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.PullRun")]
public sealed record PullRun(
    [property: Id(0)] string Id,
    [property: Id(1)] string ProviderId,
    [property: Id(2)] PullStatus Status,
    [property: Id(3)] DateOnly From,
    [property: Id(4)] DateOnly To,
    [property: Id(5)] DateTimeOffset StartedAt,
    [property: Id(6)] DateTimeOffset? FinishedAt,
    [property: Id(7)] int RowsCreated,
    [property: Id(8)] int RowsUpdated,
    [property: Id(9)] int RowsUnchanged,
    [property: Id(10)] int RowsRejected,
    [property: Id(11)] string? Error,
    [property: Id(12)] IReadOnlyList<string> Warnings,
    [property: Id(13)] string Source,
    [property: Id(14)] int RowsAdjusted = 0);

/// <summary>A provider's integration as GraphQL shows it; the credential only as set or not, with its last 4 characters.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.IntegrationView")]
public sealed record IntegrationView(
    [property: Id(0)] IntegrationSettings? Settings,
    [property: Id(1)] IntegrationState State,
    [property: Id(2)] DateTimeOffset? LastRunAt,
    [property: Id(3)] DateTimeOffset? LastSuccessAt,
    [property: Id(4)] DateTimeOffset? NextRunAt,
    [property: Id(5)] string? LastError,
    [property: Id(6)] bool CredentialSet,
    [property: Id(7)] string? CredentialHint,
    [property: Id(8)] DateTimeOffset? FailingSince,
    [property: Id(9)] IReadOnlyList<PullRun> Runs);
