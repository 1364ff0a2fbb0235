using Flowstate.Durable;

namespace Flowstate.Reconciliation;

/// <summary>
/// The persisted state of a billing row. Bounded: the audit trail keeps the latest
/// <see cref="AuditHeld"/> entries the event log holds (and any it does not yet), and matched
/// session ids are capped by the matcher.
/// </summary>
[GenerateSerializer, Alias("Flowstate.BillingRowState")]
public sealed class BillingRowState : IDurableState
{
    /// <summary>The latest audit entries kept on the row; the event log keeps every one (auditLog).</summary>
    public const int AuditHeld = 20;

    [Id(0)] public BillingLine? Line { get; set; }
    [Id(1)] public Period Period { get; set; }
    [Id(2)] public RowStatus Status { get; set; }
    [Id(3)] public int Version { get; set; }
    [Id(4)] public decimal ObservedCostUsd { get; set; }
    [Id(5)] public double? Confidence { get; set; }
    [Id(6)] public List<string> MatchedSessionIds { get; set; } = [];
    [Id(7)] public string? MatchReason { get; set; }
    [Id(8)] public string? Note { get; set; }
    [Id(9)] public List<AuditEntry> AuditTrail { get; set; } = [];
    [Id(10)] public Period? DeferredTo { get; set; }

    // [Id(11)] was the hand-written outbox of ledger entries, replaced by Outbox (Id 14).

    /// <summary>What the evidence looked like at the last match: late sessions are "new evidence" only if it differs.</summary>
    [Id(12)] public string? EvidenceSeen { get; set; }

    /// <summary>
    /// The highest version whose audit entry the period has logged (row_events). Entries above it
    /// ride on the next push to the row's current period; advanced in memory once that push is
    /// applied and persisted with the next write, so a crash only re-sends (never loses) them.
    /// </summary>
    [Id(13)] public int LoggedThrough { get; set; }

    /// <summary>The periods still owed this row's entry: the one it is in, and one it was just deferred out of.</summary>
    [Id(14)] public Outbox Outbox { get; set; } = new();

    /// <summary>
    /// The provider had sent no telemetry when the row last looked: no session can ever match it, so
    /// an UNRECONCILED row may be confirmed against the contract (refreshed at each match and action).
    /// </summary>
    [Id(15)] public bool ProviderWithoutTelemetry { get; set; }

    /// <summary>The period the row was deferred out of into the one it is in now; null when it was billed here.</summary>
    [Id(16)] public Period? DeferredFrom { get; set; }

    /// <summary>Why the row's part of the residual is there, as the last match found it (see <see cref="ResidualCause"/>).</summary>
    [Id(17)] public ResidualCause MatchCause { get; set; } = ResidualCause.Unexplained;

    /// <summary>Confirmed against the contract (no telemetry): the contract is its observation, so its observed cost is what was billed.</summary>
    [Id(18)] public bool ConfirmedByContract { get; set; }

    /// <summary>The matched observed money by the month of its sessions (yyyy-MM): billing lag may reach into the next or last month.</summary>
    [Id(19)] public Dictionary<string, decimal> MatchedByMonth { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The claims (see ResidualClaims) each month last took from this row, and under which cause.</summary>
    [Id(20)] public Dictionary<string, decimal> ClaimsSent { get; set; } = new(StringComparer.Ordinal);
    [Id(21)] public ResidualCause? ClaimCauseSent { get; set; }
}
