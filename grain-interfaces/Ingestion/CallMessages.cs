namespace Flowstate.Ingestion;

/// <summary>What one item of the ingest log contributes to its session.</summary>
public enum CallKind
{
    /// <summary>A whole session sent through ingestSessions (first write wins).</summary>
    Session = 0,
    /// <summary>One model call: tokens and money.</summary>
    Call = 1,
    /// <summary>A prompt or tool result: one turn, no money.</summary>
    Turn = 2,
    /// <summary>A delta metric data point describing calls (used only where a session has no call events).</summary>
    MetricDelta = 3,
    /// <summary>A cumulative metric data point: the latest of its series counts (used only where a session has no call events).</summary>
    MetricCumulative = 4,
}

/// <summary>
/// One agent event mapped from OpenTelemetry: a model call, a turn, or a metric point, of the session
/// <see cref="SessionId"/>. <see cref="CallId"/> is deterministic (from the agent's request id, or the
/// session and the event's sequence), so a re-sent export maps to the same ids and counts nothing twice.
/// Tokens are normalised: <see cref="InputTokens"/> is input priced at the input rate (cache writes
/// included), <see cref="CachedInputTokens"/> is cache reads, <see cref="OutputTokens"/> includes reasoning.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.AgentCall")]
public sealed record AgentCall(
    [property: Id(0)] int Index,
    [property: Id(1)] string CallId,
    [property: Id(2)] string SessionId,
    [property: Id(3)] CallKind Kind,
    [property: Id(4)] string ServiceName,
    [property: Id(5)] IReadOnlyList<string> Subjects,
    [property: Id(6)] string? Model,
    [property: Id(7)] DateTimeOffset At,
    [property: Id(8)] long InputTokens,
    [property: Id(9)] long OutputTokens,
    [property: Id(10)] long CachedInputTokens,
    [property: Id(11)] decimal? ReportedCostUsd,
    [property: Id(12)] SessionContext? Context,
    [property: Id(13)] string? Series = null);

/// <summary>
/// The mapped calls of one export, with the subject of the ingest key that sent it (used when a
/// record names no subject of its own).
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.TelemetryBatch")]
public sealed record TelemetryBatch(
    [property: Id(0)] IReadOnlyList<AgentCall> Calls,
    [property: Id(1)] string? KeySubject);
