namespace Flowstate.Reconciliation;

/// <summary>The bucket a billing row sits in; every row is in exactly one.</summary>
public enum RowStatus { Unreconciled = 0, Suggested = 1, AutoMatched = 2, Confirmed = 3, WrittenOff = 4, Deferred = 5 }

/// <summary>What finance can do to a row.</summary>
public enum RowAction { Confirm = 0, WriteOff = 1, Defer = 2, Reopen = 3, Undefer = 4 }

/// <summary>What a billing line charges for.</summary>
public enum BillingRowKind { Usage = 0, Seat = 1, Credit = 2, Adjustment = 3 }

/// <summary>Why a filtered inbox view is empty.</summary>
public enum EmptyState { Cleared = 0, NoBillingPull = 1 }
