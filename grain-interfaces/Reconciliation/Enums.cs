namespace Flowstate.Reconciliation;

/// <summary>The bucket a billing row sits in; every row is in exactly one.</summary>
public enum RowStatus { Unreconciled = 0, Suggested = 1, AutoMatched = 2, Confirmed = 3, WrittenOff = 4, Deferred = 5 }

/// <summary>What finance can do to a row.</summary>
public enum RowAction { Confirm = 0, WriteOff = 1, Defer = 2, Reopen = 3, Undefer = 4 }

/// <summary>What a billing line charges for.</summary>
public enum BillingRowKind { Usage = 0, Seat = 1, Credit = 2, Adjustment = 3 }

/// <summary>Why a filtered inbox view is empty.</summary>
public enum EmptyState { Cleared = 0, NoBillingPull = 1 }

/// <summary>
/// Why part of a period's residual (billed − observed − written off) is there (DESIGN §12). Each
/// row's part (billed − its matched observed; for a written-off row, − its matched observed) has one
/// cause; observed money no row claims is the rest.
/// </summary>
public enum ResidualCause
{
    /// <summary>Matched to sessions a day early or late.</summary>
    BillingLag = 0,
    /// <summary>Billed and observed agree within the auto-match tolerance (cents, rounding).</summary>
    Rounding = 1,
    /// <summary>Matched through a shared API key or workspace rather than a person.</summary>
    SharedKeys = 2,
    /// <summary>Seats billed with no session that month (trials, idle seats).</summary>
    IdleSeats = 3,
    /// <summary>Billed by a provider that sends no telemetry: nothing can be observed.</summary>
    ProvidersWithoutTelemetry = 4,
    /// <summary>Days the provider has not settled yet: bills or sessions may still arrive.</summary>
    UnsettledDays = 5,
    /// <summary>Credits and adjustments, reviewed by hand.</summary>
    Adjustments = 6,
    /// <summary>None of the above.</summary>
    Unexplained = 7,
    /// <summary>Billed for a person from whom the provider's telemetry has nothing this month (a coverage gap: web app, agent not installed).</summary>
    PeopleWithoutTelemetry = 8,
    /// <summary>
    /// Matched to the same day's sessions of the same person, billed within the suggest tolerance but
    /// beyond rounding: the provider priced the usage differently from the price table (discounts,
    /// prompt caching, batch or tiered rates, a re-price not yet in the table).
    /// </summary>
    PriceVariance = 9,
    /// <summary>
    /// Sessions a written-off row had matched: finance wrote the bill off, but the usage behind it is
    /// still observed, so it counts against the residual (the matched observed money, negative).
    /// </summary>
    WrittenOffUsage = 10,
    /// <summary>
    /// A row deferred into a later month took its bill there, while the sessions it matched stay
    /// observed in the month it left: −their cost there, +their cost in the month it went to.
    /// </summary>
    Deferrals = 11,
    /// <summary>
    /// Observed on a provider that billed nothing this month (telemetry only, its bill on an invoice
    /// nobody imported, or not pulled yet): there is no bill to compare the usage with.
    /// </summary>
    ProvidersWithoutBilling = 12,
}
