using Flowstate.Durable;
using Orleans.Concurrency;

namespace Flowstate.Reconciliation;

/// <summary>
/// One line of a provider's bill. Key: <c>{org}/{provider}/{externalId}</c> (see
/// <see cref="GrainKeys.Row"/>), so re-ingesting a line reaches the same grain. All changes
/// to a row are single-threaded calls here; each writes state and its pending pushes together,
/// then pushes the row's contribution to its period.
/// </summary>
[Alias("Flowstate.IBillingRowGrain")]
public interface IBillingRowGrain : IDurableGrain
{
    /// <summary>Creates or updates the row from a billing pull; a confirmed or written-off row is locked.</summary>
    [Alias("Ingest")] Task<IngestOutcome> IngestAsync(BillingLine line);

    /// <summary>The row, or null when no line with this id has been ingested.</summary>
    [Alias("Get")] Task<BillingRowView?> GetAsync();

    /// <summary>Applies CONFIRM / WRITE_OFF / DEFER / REOPEN atomically, or throws and changes nothing.</summary>
    [Alias("ApplyAction")] Task<RowActionResult> ApplyActionAsync(RowCommand command);

    /// <summary>Matches an open row again against the sessions now observed (late sessions).</summary>
    [Alias("Rematch")] Task RematchAsync();

    /// <summary>
    /// A row of the same subject was billed on a day next to this row's: the sessions of that day are
    /// its own now, so this row matches again (one-way: a partition sends it while registering a row).
    /// </summary>
    [OneWay, Alias("NeighbourBilled")] Task NeighbourBilledAsync();

    /// <summary>Returns a deferred row to the next period once that period has begun.</summary>
    [Alias("ReturnIfDue")] Task ReturnIfDueAsync();
}

/// <summary>
/// One calendar month of one org. Key: <c>{org}/{yyyy-MM}</c>. Holds the period's ledger (the
/// latest contribution of each row, versioned) and observed cost per usage partition; the
/// ledger is also written to PostgreSQL, which answers the inbox's filtered, paginated lists.
/// </summary>
[Alias("Flowstate.IPeriodGrain")]
public interface IPeriodGrain : IGrainWithStringKey
{
    /// <summary>Applies a row's contribution unless a newer one is already applied.</summary>
    [Alias("ApplyRow")] Task<PeriodSummary> ApplyRowAsync(LedgerEntry entry);

    /// <summary>Applies a partition's observed cost unless a newer one is already applied.</summary>
    [Alias("ApplyObserved")] Task ApplyObservedAsync(ObservedContribution contribution);

    [Alias("GetSummary")] Task<PeriodSummary> GetSummaryAsync();

    /// <summary>Summary, bucket chips, rows deferred out, and one page of row ids.</summary>
    [Alias("GetInbox")] Task<InboxPage> GetInboxAsync(InboxQuery query);
}

/// <summary>
/// Returns deferred rows when their next period begins. Key: the org. A durable reminder
/// drives it, so it survives restarts; time comes from the injected BusinessClock.
/// </summary>
[Alias("Flowstate.IDeferralClockGrain")]
public interface IDeferralClockGrain : IGrainWithStringKey
{
    /// <summary>Makes sure the reminder is registered.</summary>
    [Alias("Start")] Task StartAsync();

    /// <summary>Returns every row whose deferral is due now; how many were returned.</summary>
    [Alias("ReturnDue")] Task<int> ReturnDueAsync();
}
