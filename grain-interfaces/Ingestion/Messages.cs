using Flowstate.Reconciliation;

namespace Flowstate.Ingestion;

/// <summary>
/// One billing row as a client sent it, already type-coerced by the API layer. Values that
/// could not be coerced are null and described in <see cref="FieldErrors"/>, so that one bad
/// item is rejected on its own instead of failing its whole batch.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.BillingRowRequest")]
public sealed record BillingRowRequest(
    [property: Id(0)] string? ExternalId,
    [property: Id(1)] string? Subject,
    [property: Id(2)] string? Account,
    [property: Id(3)] DateOnly? UsageDate,
    [property: Id(4)] decimal? TotalCostUsd,
    [property: Id(5)] decimal? ListCostUsd,
    [property: Id(6)] BillingRowKind Kind,
    [property: Id(7)] string? Description,
    [property: Id(8)] IReadOnlyList<string> FieldErrors,
    [property: Id(9)] bool Provisional = false);

[GenerateSerializer, Immutable, Alias("Flowstate.SessionContext")]
public sealed record SessionContext(
    [property: Id(0)] string? Repo,
    [property: Id(1)] string? Path,
    [property: Id(2)] string? App);

/// <summary>One observed session as the agent sent it (see <see cref="BillingRowRequest"/> on field errors).</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.SessionRequest")]
public sealed record SessionRequest(
    [property: Id(0)] string? Id,
    [property: Id(1)] string? Subject,
    [property: Id(2)] string? ProviderId,
    [property: Id(3)] string? Model,
    [property: Id(4)] DateTimeOffset? StartedAt,
    [property: Id(5)] DateTimeOffset? EndedAt,
    [property: Id(6)] long InputTokens,
    [property: Id(7)] long OutputTokens,
    [property: Id(8)] long CachedInputTokens,
    [property: Id(9)] int? Turns,
    [property: Id(10)] decimal? CostUsd,
    [property: Id(11)] string? ApiKeyId,
    [property: Id(12)] string? ProjectId,
    [property: Id(13)] SessionContext? Context,
    [property: Id(14)] double? Frustration,
    [property: Id(15)] IReadOnlyList<string> FieldErrors,
    [property: Id(16)] string? Prompt = null,
    [property: Id(17)] string? Response = null)
{
    /// <summary>Whether the session carries prompt or response text (stored apart from the sessions table).</summary>
    public bool HasContent => Prompt is not null || Response is not null;
}

/// <summary>Why one item of a batch was not taken.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.IngestRejection")]
public sealed record IngestRejection(
    [property: Id(0)] int Index,
    [property: Id(1)] string Code,
    [property: Id(2)] string Message);

/// <summary>
/// How a batch went: accepted items, items that changed nothing, and rejections. For billing rows,
/// <see cref="Updated"/> of the accepted changed an existing row, and <see cref="Locked"/> lists the
/// indexes of items that reached a confirmed or written-off row, which the line did not change.
/// <see cref="Visible"/> is false when the items are durable but the fold has not made them visible yet.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.IngestResult")]
public sealed record IngestResult(
    [property: Id(0)] int Accepted,
    [property: Id(1)] int Duplicates,
    [property: Id(2)] IReadOnlyList<IngestRejection> Rejected,
    [property: Id(3)] int Updated = 0,
    [property: Id(4)] IReadOnlyList<int>? Locked = null,
    [property: Id(5)] bool Visible = true);

/// <summary>When an ingest answers: once its items are durable in the ingest log, or once they are also folded (visible to queries).</summary>
public enum IngestWait
{
    /// <summary>Read-your-writes: wait (bounded) until the fold has made the items visible.</summary>
    Visible = 0,
    /// <summary>Answer as soon as the items are durable; they become visible when the fold gets to them.</summary>
    Durable = 1,
}
