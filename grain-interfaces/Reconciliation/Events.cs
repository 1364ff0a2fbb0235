namespace Flowstate.Reconciliation;

/// <summary>
/// The Orleans streams Flowstate publishes on. Events are published by the grain where the change
/// happened, after the change is durable, so a subscriber never sees a change that could still be
/// lost. Streams deliver at most once and may reorder across publishers: the durable row event log
/// (<see cref="IRowEventLog"/>) is what makes delivery exact.
/// </summary>
public static class EventStreams
{
    /// <summary>The stream provider's name (memory streams in every silo and client).</summary>
    public const string Provider = "events";

    /// <summary>Namespace of the per-org stream of <see cref="RowStatusChanges"/>; key: the org.</summary>
    public const string RowStatus = "row-status";

    /// <summary>Namespace of the per-period stream of <see cref="PeriodSummary"/>; key: <c>{org}/{yyyy-MM}</c>.</summary>
    public const string PeriodSummary = "period-summary";

    /// <summary>The key of an org's row-status stream.</summary>
    public static string RowStatusKey(string org) => GrainKeys.Escape(org);

    /// <summary>The key of a period's summary stream.</summary>
    public static string PeriodSummaryKey(string org, Period period) => GrainKeys.Join(org, period.ToString());
}

/// <summary>
/// One status change of one billing row, as logged: <see cref="Seq"/> is its position in the org's
/// event log (dense, in commit order), <see cref="Version"/> the row's version after the change.
/// <see cref="From"/> is null for a new row; <see cref="Action"/> null for a change no finance
/// action made (ingest, matcher, deferral clock).
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.RowStatusChanged")]
public sealed record RowStatusChanged(
    [property: Id(0)] long Seq,
    [property: Id(1)] string RowId,
    [property: Id(2)] int Version,
    [property: Id(3)] Period Period,
    [property: Id(4)] string ProviderId,
    [property: Id(5)] RowStatus? From,
    [property: Id(6)] RowStatus To,
    [property: Id(7)] RowAction? Action,
    [property: Id(8)] string Actor,
    [property: Id(9)] string? Note,
    [property: Id(10)] DateTimeOffset At);

/// <summary>The changes one ledger write logged, in seq order: one stream message per commit.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.RowStatusChanges")]
public sealed record RowStatusChanges(
    [property: Id(0)] string Org,
    [property: Id(1)] IReadOnlyList<RowStatusChanged> Changes);

/// <summary>
/// The durable, ordered log of row status changes per org (PostgreSQL <c>row_events</c>), read by
/// subscriptions to replay what followed a cursor and to fill gaps in the live stream.
/// </summary>
public interface IRowEventLog
{
    /// <summary>The seq of the org's latest committed change; 0 when it has none.</summary>
    Task<long> LastSeqAsync(string org, CancellationToken ct = default);

    /// <summary>Up to <paramref name="max"/> changes with seq &gt; <paramref name="afterSeq"/>, in seq order.</summary>
    Task<IReadOnlyList<RowStatusChanged>> ReadAfterAsync(string org, long afterSeq, int max, CancellationToken ct = default);

    /// <summary>
    /// One page of the org's audit log: the changes matching the filter in seq order (newest first
    /// when asked), strictly past the cursor's seq in that order; up to <c>First</c> + 1 entries, so
    /// the caller can tell whether there is a next page.
    /// </summary>
    Task<IReadOnlyList<RowStatusChanged>> ReadPageAsync(string org, AuditQuery query, CancellationToken ct = default);
}

/// <summary>A filter on the audit log; null members do not filter. <c>From</c> is inclusive, <c>To</c> exclusive.</summary>
public sealed record AuditFilter(
    string? Actor = null, RowAction? Action = null, Period? Period = null, string? ProviderId = null, string? RowId = null,
    DateTimeOffset? From = null, DateTimeOffset? To = null);

/// <summary>A page request on the audit log: <c>AfterSeq</c> is the seq of the last entry of the previous page.</summary>
public sealed record AuditQuery(AuditFilter Filter, int First, long? AfterSeq, bool NewestFirst);
