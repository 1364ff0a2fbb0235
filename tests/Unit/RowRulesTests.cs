using Flowstate.Domain;
using Flowstate.Reconciliation;

namespace Flowstate.Tests.Unit;

public sealed class RowRulesTests
{
    private static RowCommand Cmd(RowAction a, string? note = null, int? expected = null) => new(a, note, expected, "t");

    private static string CodeOf(Action act) => Assert.Throws<FlowstateException>(act).Code;

    [Theory]
    [InlineData(RowStatus.Unreconciled, RowAction.Confirm)]
    [InlineData(RowStatus.Unreconciled, RowAction.Reopen)]
    [InlineData(RowStatus.Confirmed, RowAction.Confirm)]
    [InlineData(RowStatus.Confirmed, RowAction.WriteOff)]
    [InlineData(RowStatus.WrittenOff, RowAction.Defer)]
    [InlineData(RowStatus.Deferred, RowAction.Reopen)]
    [InlineData(RowStatus.Deferred, RowAction.Defer)]
    [InlineData(RowStatus.Deferred, RowAction.Confirm)]
    [InlineData(RowStatus.Suggested, RowAction.Reopen)]
    public void Check_ActionNotOffered_IsInvalidTransition(RowStatus status, RowAction action) =>
        Assert.Equal(ErrorCodes.InvalidTransition, CodeOf(() => RowRules.Check(status, 1, Cmd(action, "why"))));

    [Theory]
    [InlineData(RowStatus.Unreconciled, RowAction.WriteOff, RowStatus.WrittenOff)]
    [InlineData(RowStatus.Unreconciled, RowAction.Defer, RowStatus.Deferred)]
    [InlineData(RowStatus.Suggested, RowAction.Confirm, RowStatus.Confirmed)]
    [InlineData(RowStatus.AutoMatched, RowAction.Confirm, RowStatus.Confirmed)]
    [InlineData(RowStatus.AutoMatched, RowAction.WriteOff, RowStatus.WrittenOff)]
    [InlineData(RowStatus.Confirmed, RowAction.Reopen, RowStatus.Unreconciled)]
    [InlineData(RowStatus.WrittenOff, RowAction.Reopen, RowStatus.Unreconciled)]
    public void Check_OfferedAction_PassesAndLeadsToTarget(RowStatus status, RowAction action, RowStatus target)
    {
        RowRules.Check(status, 3, Cmd(action, "a reason"));
        Assert.Equal(target, RowRules.Target(action));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   \t\n")]
    public void Check_WriteOffOrReopenWithoutNote_IsNoteRequired(string? note)
    {
        Assert.Equal(ErrorCodes.NoteRequired, CodeOf(() => RowRules.Check(RowStatus.Unreconciled, 1, Cmd(RowAction.WriteOff, note))));
        Assert.Equal(ErrorCodes.NoteRequired, CodeOf(() => RowRules.Check(RowStatus.Confirmed, 1, Cmd(RowAction.Reopen, note))));
    }

    [Fact]
    public void Check_DeferAndConfirm_NeedNoNote()
    {
        RowRules.Check(RowStatus.Unreconciled, 1, Cmd(RowAction.Defer));
        RowRules.Check(RowStatus.Suggested, 1, Cmd(RowAction.Confirm));
    }

    [Fact]
    public void Check_StaleVersion_IsVersionConflict_EvenWhenTransitionIsValid() =>
        Assert.Equal(ErrorCodes.VersionConflict, CodeOf(() => RowRules.Check(RowStatus.Suggested, 4, Cmd(RowAction.Confirm, expected: 3))));

    [Fact]
    public void Check_OverlongNote_IsInvalidInput() =>
        Assert.Equal(ErrorCodes.InvalidInput, CodeOf(() => RowRules.Check(RowStatus.Unreconciled, 1, Cmd(RowAction.WriteOff, new string('x', 2001)))));

    [Fact]
    public void EveryStatus_OffersExactlyTheDesignedActions()
    {
        Assert.Equal([RowAction.WriteOff, RowAction.Defer], RowRules.Offered(RowStatus.Unreconciled));
        Assert.Equal([RowAction.Confirm, RowAction.WriteOff, RowAction.Defer], RowRules.Offered(RowStatus.Suggested));
        Assert.Equal([RowAction.Confirm, RowAction.WriteOff, RowAction.Defer], RowRules.Offered(RowStatus.AutoMatched));
        Assert.Equal([RowAction.Reopen], RowRules.Offered(RowStatus.Confirmed));
        Assert.Equal([RowAction.Reopen], RowRules.Offered(RowStatus.WrittenOff));
        Assert.Equal([RowAction.Undefer], RowRules.Offered(RowStatus.Deferred));
        Assert.Equal([RowAction.Confirm, RowAction.WriteOff, RowAction.Defer], RowRules.Offered(RowStatus.Unreconciled, providerHasTelemetry: false));
        Assert.Equal([RowAction.Reopen], RowRules.Offered(RowStatus.Confirmed, providerHasTelemetry: false));
    }

    [Fact]
    public void Check_ConfirmWithoutMatch_NeedsTheBasis_AndOnlyWithoutTelemetry()
    {
        Assert.Equal(ErrorCodes.NoteRequired, CodeOf(() => RowRules.Check(RowStatus.Unreconciled, 1, Cmd(RowAction.Confirm), providerHasTelemetry: false)));
        Assert.Equal(ErrorCodes.InvalidTransition, CodeOf(() => RowRules.Check(RowStatus.Unreconciled, 1, Cmd(RowAction.Confirm, "contract"), providerHasTelemetry: true)));
        RowRules.Check(RowStatus.Unreconciled, 1, Cmd(RowAction.Confirm, "Retainer per contract"), providerHasTelemetry: false);
        RowRules.Check(RowStatus.Suggested, 1, Cmd(RowAction.Confirm), providerHasTelemetry: false);
    }

    [Theory]
    [InlineData(RowStatus.Unreconciled)]
    [InlineData(RowStatus.Suggested)]
    [InlineData(RowStatus.Confirmed)]
    [InlineData(RowStatus.WrittenOff)]
    public void Check_UndeferOfARowNotWaiting_IsInvalidTransition(RowStatus status) =>
        Assert.Equal(ErrorCodes.InvalidTransition, CodeOf(() => RowRules.Check(status, 1, Cmd(RowAction.Undefer))));
}
