using Flowstate.Reconciliation;

namespace Flowstate.Usage;

/// <summary>
/// What a usage partition keeps of one observed session: enough to match bills, sum observed
/// cost, consume plan allowance and roll usage up for attribution. The full session lives in
/// the sessions read model.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.SessionFact")]
public sealed record SessionFact(
    [property: Id(0)] string SessionId,
    [property: Id(1)] DateTimeOffset StartedAt,
    [property: Id(2)] decimal CostUsd,
    [property: Id(3)] decimal MarketCostUsd,
    [property: Id(4)] string Model = "",
    [property: Id(5)] string? ProjectId = null,
    [property: Id(6)] long Tokens = 0,
    [property: Id(7)] double? Frustration = null)
{
    public DateOnly Day => DateOnly.FromDateTime(StartedAt.UtcDateTime);
}

/// <summary>
/// Sessions of one partition as the ingest log now sums them, and sessions that left it (their start or subject moved).
/// <see cref="DeliverLater"/>: answer once the partition is stored, and push on to the subject-month and period right
/// after (a bulk fold), rather than once they have it too.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.SessionFold")]
public sealed record SessionFold(
    [property: Id(0)] IReadOnlyList<SessionFact> Sessions,
    [property: Id(1)] IReadOnlyList<string> Removed,
    [property: Id(2)] decimal IncludedUsageUsd,
    [property: Id(3)] decimal SeatFeeUsd = 0m,
    [property: Id(4)] bool DeliverLater = false);

/// <summary>How a partition took a batch: which ids were new, and which rows must match again.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.RecordResult")]
public sealed record RecordResult(
    [property: Id(0)] IReadOnlyList<string> NewSessionIds,
    [property: Id(1)] IReadOnlyList<string> RowsToRematch);

/// <summary>
/// Observed cost and sessions of one subject on one provider for one UTC day. On a seat plan the
/// observed cost is the usage beyond the plan's included amount (the seat fee covers the rest).
/// <see cref="BilledByAnotherRow"/>: another usage row is billed on this day.
/// <see cref="AnotherRowTheDayAfter"/>: another usage row is billed on the day after, so if this
/// day has no row of its own, its sessions are that row's billing lag (booked late), not the row
/// before's (booked early): one day's sessions are matched by one row only.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.DayEvidence")]
public sealed record DayEvidence(
    [property: Id(0)] DateOnly Day,
    [property: Id(1)] decimal ObservedUsd,
    [property: Id(2)] IReadOnlyList<string> SessionIds,
    [property: Id(3)] bool BilledByAnotherRow = false,
    [property: Id(4)] bool AnotherRowTheDayAfter = false);

/// <summary>
/// What a partition knows that a row needs to match: its days and the whole month. On a seat plan
/// (<see cref="SeatPlan"/>), <see cref="SeatFeeUsd"/> is the seat fee observed this month (the fee
/// when the seat is active, else 0) and <see cref="MonthSessionIds"/> the seat-month's sessions.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.MatchEvidence")]
public sealed record MatchEvidence(
    [property: Id(0)] IReadOnlyList<DayEvidence> Days,
    [property: Id(1)] int MonthSessionCount,
    [property: Id(2)] decimal MonthObservedUsd,
    [property: Id(3)] decimal SeatFeeUsd = 0m,
    [property: Id(4)] bool SeatPlan = false,
    [property: Id(5)] IReadOnlyList<string>? MonthSessionIds = null);

/// <summary>A billing row asking to be told about late sessions near its usage date.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.RowRegistration")]
public sealed record RowRegistration(
    [property: Id(0)] string RowId,
    [property: Id(1)] DateOnly UsageDate,
    [property: Id(2)] BillingRowKind Kind);
