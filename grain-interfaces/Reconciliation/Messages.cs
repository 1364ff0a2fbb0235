namespace Flowstate.Reconciliation;

/// <summary>A validated billing line as ingested, with its subject already resolved.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.BillingLine")]
public sealed record BillingLine(
    [property: Id(0)] string ProviderId,
    [property: Id(1)] string ExternalId,
    [property: Id(2)] string? SubjectKey,
    [property: Id(3)] string? Account,
    [property: Id(4)] DateOnly UsageDate,
    [property: Id(5)] decimal TotalCostUsd,
    [property: Id(6)] decimal? ListCostUsd,
    [property: Id(7)] BillingRowKind Kind,
    [property: Id(8)] string? Description,
    [property: Id(9)] string? Currency,
    [property: Id(10)] decimal? OriginalAmount,
    [property: Id(11)] bool Provisional = false);

/// <summary>
/// One transition on a row's audit trail. The trail is append-only. <see cref="Period"/> is the
/// period the row was in when it changed (null on entries written before it was recorded).
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.AuditEntry")]
public sealed record AuditEntry(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string Actor,
    [property: Id(2)] RowStatus? From,
    [property: Id(3)] RowStatus To,
    [property: Id(4)] RowAction? Action,
    [property: Id(5)] string? Note,
    [property: Id(6)] int Version,
    [property: Id(7)] Period? Period = null);

/// <summary>A finance action on one row.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.RowCommand")]
public sealed record RowCommand(
    [property: Id(0)] RowAction Action,
    [property: Id(1)] string? Note,
    [property: Id(2)] int? ExpectedVersion,
    [property: Id(3)] string Actor);

/// <summary>Everything a client sees of a billing row.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.BillingRowView")]
public sealed record BillingRowView(
    [property: Id(0)] string Id,
    [property: Id(1)] BillingLine Line,
    [property: Id(2)] Period Period,
    [property: Id(3)] RowStatus Status,
    [property: Id(4)] int Version,
    [property: Id(5)] decimal ObservedCostUsd,
    [property: Id(6)] double? Confidence,
    [property: Id(7)] IReadOnlyList<string> MatchedSessionIds,
    [property: Id(8)] string? MatchReason,
    [property: Id(9)] string? Note,
    [property: Id(10)] IReadOnlyList<AuditEntry> AuditTrail,
    [property: Id(11)] Period? DeferredTo,
    [property: Id(12)] IReadOnlyList<RowAction> AvailableActions,
    [property: Id(13)] Period? DeferredFrom = null,
    [property: Id(14)] ResidualCause ResidualCause = ResidualCause.Unexplained)
{
    public decimal Delta => Line.TotalCostUsd - ObservedCostUsd;
}

/// <summary>
/// The money a period adds up to, recomputed on every change: the whole org's, or (with
/// <see cref="ProviderId"/>) one provider's rows and that provider's observed sessions.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.PeriodSummary")]
public sealed record PeriodSummary(
    [property: Id(0)] Period Period,
    [property: Id(1)] decimal Billed,
    [property: Id(2)] decimal Observed,
    [property: Id(3)] decimal WrittenOff,
    [property: Id(4)] int RowCount,
    [property: Id(5)] string? ProviderId = null,
    [property: Id(6)] IReadOnlyList<ResidualPart>? ByCause = null)
{
    /// <summary>A residual above this fraction of billed, left unexplained, is worth a look.</summary>
    public const double WarningRatio = 0.05;

    public decimal Residual => Billed - Observed - WrittenOff;
    public double? ResidualRatio => Billed == 0 ? null : (double)(Residual / Billed);

    /// <summary>The part of the residual no named cause explains.</summary>
    public decimal Unexplained => ByCause?.Where(p => p.Cause == ResidualCause.Unexplained).Sum(p => p.Amount) ?? Residual;

    /// <summary>On only when the unexplained part is above <see cref="WarningRatio"/> of billed.</summary>
    public bool ResidualWarning => Billed != 0 && Math.Abs((double)(Unexplained / Billed)) > WarningRatio;

    // Records compare lists by reference; a summary is its figures.
    public bool Equals(PeriodSummary? other) => other is not null && (Period, Billed, Observed, WrittenOff, RowCount, ProviderId) ==
        (other.Period, other.Billed, other.Observed, other.WrittenOff, other.RowCount, other.ProviderId)
        && (ByCause ?? []).SequenceEqual(other.ByCause ?? []);
    public override int GetHashCode() => HashCode.Combine(Period, Billed, Observed, WrittenOff, RowCount, ProviderId);
}

/// <summary>One cause's part of a period's residual: how much, and how many rows carry it (0 for observed money no row claims).</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.ResidualPart")]
public sealed record ResidualPart(
    [property: Id(0)] ResidualCause Cause,
    [property: Id(1)] decimal Amount,
    [property: Id(2)] int Rows);

/// <summary>A filter chip: how many rows, and how much, sit in one bucket.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.BucketCount")]
public sealed record BucketCount(
    [property: Id(0)] RowStatus Status,
    [property: Id(1)] int Count,
    [property: Id(2)] decimal Amount);

/// <summary>The outcome of a row action: the row as it now is and its period's summary.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.RowActionResult")]
public sealed record RowActionResult(
    [property: Id(0)] BillingRowView Row,
    [property: Id(1)] PeriodSummary Summary);

/// <summary>How an ingested line changed its row.</summary>
public enum IngestOutcome { Created = 0, Updated = 1, Unchanged = 2, Locked = 3 }

/// <summary>
/// A row's contribution to one period, pushed row → period. Versioned by the row's version so
/// that a replayed or reordered push can never count twice. The entry for the row's current
/// period also carries the status changes not yet known to be in the event log; the period
/// logs them in the same transaction as the entry (a replay logs nothing twice).
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.LedgerEntry")]
public sealed record LedgerEntry(
    [property: Id(0)] string RowId,
    [property: Id(1)] Period Period,
    [property: Id(2)] int Version,
    [property: Id(3)] string ProviderId,
    [property: Id(4)] DateOnly UsageDate,
    [property: Id(5)] decimal Amount,
    [property: Id(6)] RowStatus Status,
    [property: Id(7)] Period? MovedOutTo,
    [property: Id(8)] IReadOnlyList<AuditEntry>? Changes = null,
    [property: Id(9)] Period? DeferredFrom = null,
    [property: Id(10)] decimal ObservedUsd = 0m,
    [property: Id(11)] ResidualCause Cause = ResidualCause.Unexplained,
    [property: Id(12)] BillingLine? Line = null,
    [property: Id(13)] string? Note = null,
    [property: Id(14)] bool ByContract = false);

/// <summary>
/// A partition's observed cost for one period, pushed partition → period; or, with a
/// <see cref="ClaimCause"/>, a row's claim on observed money across a month boundary (see
/// <see cref="ResidualClaims"/>), which moves residual between causes and never changes observed.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.ObservedContribution")]
public sealed record ObservedContribution(
    [property: Id(0)] string PartitionId,
    [property: Id(1)] long Version,
    [property: Id(2)] decimal ObservedUsd,
    [property: Id(3)] ResidualCause? ClaimCause = null);

/// <summary>
/// A row that matched sessions of another month (billing lag over a month boundary, a deferred row
/// matched where its usage was) leaves observed money in that month which none of its rows claims,
/// and claims money its own month never observed. Without a word on it, both show up as unexplained.
/// The row tells each month: its own gets +amount and the other −amount under the row's cause, so the
/// two months' breakdowns name it and still add up to their residuals.
/// </summary>
public static class ResidualClaims
{
    public static string Id(string rowId) => rowId + "/claim";
}

/// <summary>A page request on a period's inbox.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.InboxQuery")]
public sealed record InboxQuery(
    [property: Id(0)] IReadOnlyList<RowStatus> Statuses,
    [property: Id(1)] string? ProviderId,
    [property: Id(2)] int First,
    [property: Id(3)] string? After);

/// <summary>One page of a period's inbox plus the figures around it.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.InboxPage")]
public sealed record InboxPage(
    [property: Id(0)] PeriodSummary Summary,
    [property: Id(1)] IReadOnlyList<BucketCount> Buckets,
    [property: Id(2)] IReadOnlyList<string> DeferredOut,
    [property: Id(3)] IReadOnlyList<InboxEdge> Edges,
    [property: Id(4)] bool HasNextPage,
    [property: Id(5)] int TotalCount,
    [property: Id(6)] EmptyState? EmptyState,
    [property: Id(7)] IReadOnlyList<string>? DeferredIn = null);

/// <summary>A row id with its opaque cursor.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.InboxEdge")]
public sealed record InboxEdge([property: Id(0)] string RowId, [property: Id(1)] string Cursor);
