using Flowstate.Usage;

namespace Flowstate.Domain;

/// <summary>
/// One person's month on one provider under its plan (DESIGN §12). On a seat plan (a seat fee
/// above zero) an active seat (one with sessions this month) is observed at its fee; the sessions'
/// cost inside the plan's included amount is covered by that fee and is MARKET information only;
/// usage beyond it is observed at the contracted rate (the sessions' org-rate cost). Without a seat
/// fee, observed money is simply the sessions' cost.
/// </summary>
public sealed record SeatMonth(
    bool SeatPlan,
    int Sessions,
    decimal SeatFeeUsd,
    decimal IncludedUsedUsd,
    decimal OverageUsd,
    IReadOnlyDictionary<string, decimal> ObservedBySession)
{
    /// <summary>The seat is in use: it has sessions this month.</summary>
    public bool Active => Sessions > 0;

    /// <summary>The seat fee observed this month: the fee when the seat is active on a seat plan, else 0.</summary>
    public decimal ObservedSeatFeeUsd => SeatPlan && Active ? SeatFeeUsd : 0m;

    /// <summary>Observed money of the month: the active seat's fee plus usage beyond the included amount.</summary>
    public decimal ObservedUsd => ObservedSeatFeeUsd + OverageUsd;

    /// <param name="monthSessions">The month's sessions of one person on one provider.</param>
    /// <param name="seatFeeUsd">The plan's fee per seat per month (0: not a seat plan).</param>
    /// <param name="includedUsd">The plan's included usage per seat per month.</param>
    public static SeatMonth Of(IEnumerable<SessionFact> monthSessions, decimal seatFeeUsd, decimal includedUsd)
    {
        var sessions = monthSessions as IReadOnlyCollection<SessionFact> ?? monthSessions.ToList();
        if (seatFeeUsd <= 0)
        {
            var cost = sessions.ToDictionary(s => s.SessionId, s => s.CostUsd, StringComparer.Ordinal);
            return new(false, sessions.Count, 0m, 0m, cost.Values.Sum(), cost);
        }
        var beyond = Allowance.Incremental(sessions, includedUsd);
        var overage = beyond.Values.Sum();
        return new(true, sessions.Count, seatFeeUsd, sessions.Sum(s => s.CostUsd) - overage, overage, beyond);
    }
}
