using Flowstate.Reconciliation;

namespace Flowstate.Domain;

/// <summary>The bucket state machine of DESIGN §2: which actions each status offers and where they lead.</summary>
public static class RowRules
{
    public const int MaxNoteLength = 2000;

    private static readonly RowAction[] OpenActions = [RowAction.WriteOff, RowAction.Defer];
    private static readonly RowAction[] ContractActions = [RowAction.Confirm, RowAction.WriteOff, RowAction.Defer];
    private static readonly RowAction[] MatchedActions = [RowAction.Confirm, RowAction.WriteOff, RowAction.Defer];
    private static readonly RowAction[] LockedActions = [RowAction.Reopen];
    private static readonly RowAction[] WaitingActions = [RowAction.Undefer];

    /// <summary>
    /// The actions a row in <paramref name="status"/> offers. An UNRECONCILED row of a provider that
    /// sends no telemetry (<paramref name="providerHasTelemetry"/> false) can be confirmed against the
    /// contract, since no session will ever match it; a DEFERRED row is always still waiting (once it
    /// returns it is UNRECONCILED), so it offers UNDEFER.
    /// </summary>
    public static IReadOnlyList<RowAction> Offered(RowStatus status, bool providerHasTelemetry = true) => status switch
    {
        RowStatus.Unreconciled => providerHasTelemetry ? OpenActions : ContractActions,
        RowStatus.Suggested or RowStatus.AutoMatched => MatchedActions,
        RowStatus.Confirmed or RowStatus.WrittenOff => LockedActions,
        RowStatus.Deferred => WaitingActions,
        _ => [],
    };

    /// <summary>Open rows are the ones matching may still move.</summary>
    public static bool IsOpen(RowStatus status) =>
        status is RowStatus.Unreconciled or RowStatus.Suggested or RowStatus.AutoMatched;

    /// <summary>Confirmed and written-off rows never move by themselves, nor on re-ingestion.</summary>
    public static bool IsLocked(RowStatus status) => status is RowStatus.Confirmed or RowStatus.WrittenOff;

    /// <summary>
    /// WRITE_OFF and REOPEN say why; a CONFIRM with no match (an UNRECONCILED row) says on what
    /// basis: the contract, a retainer, a fixed fee.
    /// </summary>
    public static bool RequiresNote(RowAction action, RowStatus from) =>
        action is RowAction.WriteOff or RowAction.Reopen || (action == RowAction.Confirm && from == RowStatus.Unreconciled);

    /// <summary>
    /// Checks a command against the row's status and version; throws the stable error that
    /// explains the first rule it breaks. Checked before anything changes.
    /// </summary>
    public static void Check(RowStatus status, int version, RowCommand command, bool providerHasTelemetry = true)
    {
        if (command.ExpectedVersion is { } expected && expected != version)
            throw new FlowstateException(ErrorCodes.VersionConflict,
                $"The row is at version {version}, not {expected}: it changed since you loaded it. Reload it and try again.");

        var offered = Offered(status, providerHasTelemetry);
        if (!offered.Contains(command.Action))
        {
            var hint = offered.Count == 0 ? "none" : string.Join(", ", offered.Select(Names.Of));
            var why = command.Action == RowAction.Confirm && status == RowStatus.Unreconciled
                ? " A row with no match can be confirmed only for a provider that sends no telemetry."
                : "";
            throw new FlowstateException(ErrorCodes.InvalidTransition,
                $"{Names.Of(command.Action)} is not offered for a {Names.Of(status)} row (offered: {hint}).{why}");
        }

        if (RequiresNote(command.Action, status) && string.IsNullOrWhiteSpace(command.Note))
            throw new FlowstateException(ErrorCodes.NoteRequired, command.Action == RowAction.Confirm
                ? "CONFIRM without a match needs a note saying on what basis (a contract, a retainer, a fixed fee); it is kept on the audit trail."
                : $"{Names.Of(command.Action)} needs a note saying why; it is kept on the audit trail.");

        if (command.Note is { Length: > MaxNoteLength })
            throw FlowstateException.InvalidInput($"A note is at most {MaxNoteLength} characters.");
    }

    /// <summary>
    /// The status an action leads to before matching runs: REOPEN and UNDEFER then match again at
    /// once, so a row with evidence goes on to SUGGESTED or AUTO_MATCHED (the row does that).
    /// </summary>
    public static RowStatus Target(RowAction action) => action switch
    {
        RowAction.Confirm => RowStatus.Confirmed,
        RowAction.WriteOff => RowStatus.WrittenOff,
        RowAction.Defer => RowStatus.Deferred,
        RowAction.Reopen => RowStatus.Unreconciled,
        RowAction.Undefer => RowStatus.Unreconciled,
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };
}

/// <summary>The wire names of enums (SCREAMING_SNAKE_CASE), for messages.</summary>
public static class Names
{
    public static string Of(RowStatus s) => s switch
    {
        RowStatus.Unreconciled => "UNRECONCILED",
        RowStatus.Suggested => "SUGGESTED",
        RowStatus.AutoMatched => "AUTO_MATCHED",
        RowStatus.Confirmed => "CONFIRMED",
        RowStatus.WrittenOff => "WRITTEN_OFF",
        RowStatus.Deferred => "DEFERRED",
        _ => s.ToString(),
    };

    public static string Of(RowAction a) => a switch
    {
        RowAction.Confirm => "CONFIRM",
        RowAction.WriteOff => "WRITE_OFF",
        RowAction.Defer => "DEFER",
        RowAction.Reopen => "REOPEN",
        RowAction.Undefer => "UNDEFER",
        _ => a.ToString(),
    };
}
