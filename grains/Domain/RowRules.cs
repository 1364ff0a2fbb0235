using Flowstate.Reconciliation;

namespace Flowstate.Domain;

/// <summary>The bucket state machine of DESIGN §2: which actions each status offers and where they lead.</summary>
public static class RowRules
{
    public const int MaxNoteLength = 2000;

    private static readonly RowAction[] OpenActions = [RowAction.WriteOff, RowAction.Defer];
    private static readonly RowAction[] MatchedActions = [RowAction.Confirm, RowAction.WriteOff, RowAction.Defer];
    private static readonly RowAction[] LockedActions = [RowAction.Reopen];

    public static IReadOnlyList<RowAction> Offered(RowStatus status) => status switch
    {
        RowStatus.Unreconciled => OpenActions,
        RowStatus.Suggested or RowStatus.AutoMatched => MatchedActions,
        RowStatus.Confirmed or RowStatus.WrittenOff => LockedActions,
        _ => [],
    };

    /// <summary>Open rows are the ones matching may still move.</summary>
    public static bool IsOpen(RowStatus status) =>
        status is RowStatus.Unreconciled or RowStatus.Suggested or RowStatus.AutoMatched;

    /// <summary>Confirmed and written-off rows never move by themselves, nor on re-ingestion.</summary>
    public static bool IsLocked(RowStatus status) => status is RowStatus.Confirmed or RowStatus.WrittenOff;

    public static bool RequiresNote(RowAction action) => action is RowAction.WriteOff or RowAction.Reopen;

    /// <summary>
    /// Checks a command against the row's status and version; throws the stable error that
    /// explains the first rule it breaks. Checked before anything changes.
    /// </summary>
    public static void Check(RowStatus status, int version, RowCommand command)
    {
        if (command.ExpectedVersion is { } expected && expected != version)
            throw new FlowstateException(ErrorCodes.VersionConflict,
                $"The row is at version {version}, not {expected}: it changed since you loaded it. Reload it and try again.");

        if (!Offered(status).Contains(command.Action))
        {
            var offered = Offered(status);
            var hint = offered.Count == 0 ? "none" : string.Join(", ", offered.Select(Names.Of));
            throw new FlowstateException(ErrorCodes.InvalidTransition,
                $"{Names.Of(command.Action)} is not offered for a {Names.Of(status)} row (offered: {hint}).");
        }

        if (RequiresNote(command.Action) && string.IsNullOrWhiteSpace(command.Note))
            throw new FlowstateException(ErrorCodes.NoteRequired,
                $"{Names.Of(command.Action)} needs a note saying why; it is kept on the audit trail.");

        if (command.Note is { Length: > MaxNoteLength })
            throw FlowstateException.InvalidInput($"A note is at most {MaxNoteLength} characters.");
    }

    /// <summary>The status an action leads to (DEFER's return is handled by the row).</summary>
    public static RowStatus Target(RowAction action) => action switch
    {
        RowAction.Confirm => RowStatus.Confirmed,
        RowAction.WriteOff => RowStatus.WrittenOff,
        RowAction.Defer => RowStatus.Deferred,
        RowAction.Reopen => RowStatus.Unreconciled,
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
        _ => a.ToString(),
    };
}
