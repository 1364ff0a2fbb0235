using Flowstate.Providers;
using Flowstate.Reconciliation;
using Flowstate.Usage;

namespace Flowstate.Domain;

/// <summary>The outcome of matching one billing row against observed sessions.</summary>
public sealed record MatchOutcome(
    RowStatus Status,
    decimal ObservedUsd,
    double Confidence,
    IReadOnlyList<string> SessionIds,
    string Reason,
    ResidualCause Cause = ResidualCause.Unexplained,
    IReadOnlyList<(DateOnly Day, decimal ObservedUsd)>? ObservedByDay = null);

/// <summary>
/// The matching rules of DESIGN §2. Pure: given a billing line, the evidence around its usage
/// date and the provider's tolerances, says which bucket the row belongs in and why.
/// </summary>
public static class Matcher
{
    public const decimal AutoMatchFloorUsd = 0.01m;
    private const int MaxSessionIdsKept = 200;

    /// <param name="viaAccount">The line names an account (API key, workspace), not a person.</param>
    public static MatchOutcome Match(BillingLine line, bool viaAccount, MatchEvidence evidence, MatchTolerance tolerance) =>
        line.Kind switch
        {
            BillingRowKind.Usage => MatchUsage(line, viaAccount, evidence, tolerance),
            BillingRowKind.Seat => MatchSeat(line, evidence, tolerance),
            _ => new(RowStatus.Unreconciled, 0m, 0, [], "Credits and adjustments are reviewed by hand.", ResidualCause.Adjustments),
        };

    private static MatchOutcome MatchUsage(BillingLine line, bool viaAccount, MatchEvidence evidence, MatchTolerance tolerance)
    {
        var billed = line.TotalCostUsd;
        var day = line.UsageDate;
        var sameDay = Window(evidence, day, day);

        if (sameDay.Observed > 0)
        {
            var delta = Math.Abs(billed - sameDay.Observed);
            var autoLimit = Math.Max(AutoMatchFloorUsd, tolerance.AutoMatchRatio * Math.Abs(billed));
            if (delta <= autoLimit)
            {
                var confidence = 0.95 + 0.05 * (1 - Ratio(delta, autoLimit));
                return viaAccount
                    ? Suggest(sameDay, confidence * 0.85, "Matches the sessions that carried this account's key; the key is shared, so confirm who ran them.", ResidualCause.SharedKeys)
                    : new(RowStatus.AutoMatched, sameDay.Observed, confidence, Ids(sameDay), "Billed equals observed within the auto-match tolerance.", ResidualCause.Rounding, sameDay.ByDay);
            }
            if (WithinSuggest(billed, delta, tolerance))
                return Suggest(sameDay, SuggestConfidence(billed, delta, tolerance) * (viaAccount ? 0.8 : 1),
                    $"Billed and observed differ by {Percent(delta, billed)}, within the suggest tolerance.", viaAccount ? ResidualCause.SharedKeys : ResidualCause.PriceVariance);
        }

        // Billing lag: the provider may book usage a day early or late, onto a day next to one it did
        // not bill; a neighbouring day with a row of its own keeps its sessions for that row. An unbilled
        // day between two rows is the later row's (booked late), so that no two rows match its sessions.
        var lagged = new[] { Window(evidence, day.AddDays(-1), day.AddDays(-1)), Window(evidence, day.AddDays(1), day.AddDays(1)),
                             Window(evidence, day.AddDays(-1), day), Window(evidence, day, day.AddDays(1)) }
            .Where(w => w.DaysBilledByAnotherRow.All(d => d == day))
            .Where(w => w.DaysTheRowAfterClaims.All(d => d <= day))
            .Where(w => w.Observed > 0 && WithinSuggest(billed, Math.Abs(billed - w.Observed), tolerance))
            .OrderBy(w => Math.Abs(billed - w.Observed))
            .FirstOrDefault();
        if (lagged is not null)
            return Suggest(lagged, SuggestConfidence(billed, Math.Abs(billed - lagged.Observed), tolerance) * (viaAccount ? 0.7 : 0.85),
                $"Matches sessions of {lagged.Label} (billing lag); check the day before confirming.", ResidualCause.BillingLag);

        if (!viaAccount && evidence.MonthSessionCount == 0)
            return new(RowStatus.Unreconciled, 0m, 0, [],
                "No telemetry from this person on this provider all month (web app, or no agent installed): a coverage gap.", ResidualCause.PeopleWithoutTelemetry);
        return new(RowStatus.Unreconciled, sameDay.Observed, 0, Ids(sameDay),
            sameDay.Observed == 0 ? "No observed sessions for this subject on this day." : $"Billed and observed differ by {Percent(Math.Abs(billed - sameDay.Observed), billed)}.",
            ObservedByDay: sameDay.ByDay);
    }

    /// <summary>
    /// A seat row matches the person's seat-month (see <see cref="SeatMonth"/>): an active seat is
    /// observed at the plan's seat fee, with the month's sessions as its evidence, and the bill is
    /// compared with that fee under the same tolerances as usage. Usage inside the seat is not
    /// observed money, so it is never compared with the seat.
    /// </summary>
    private static MatchOutcome MatchSeat(BillingLine line, MatchEvidence evidence, MatchTolerance tolerance)
    {
        if (evidence.MonthSessionCount == 0)
            return new(RowStatus.Unreconciled, 0m, 0, [], "No sessions observed this month: a trial or idle seat.", ResidualCause.IdleSeats);
        if (!evidence.SeatPlan)
            return new(RowStatus.Unreconciled, 0m, 0, [],
                $"Seat in use ({evidence.MonthSessionCount} session(s) this month), but the provider's plan has no seat fee, so no seat is observed: set plan.seatFeeUsd.");

        var fee = evidence.SeatFeeUsd;
        var billed = line.TotalCostUsd;
        var delta = Math.Abs(billed - fee);
        var ids = (evidence.MonthSessionIds ?? []).Take(MaxSessionIdsKept).ToList();
        var inUse = $"Seat in use: {evidence.MonthSessionCount} session(s) this month, observed at the plan's seat fee ${fee:0.00}";
        var autoLimit = Math.Max(AutoMatchFloorUsd, tolerance.AutoMatchRatio * Math.Abs(billed));
        if (delta <= autoLimit)
            return new(RowStatus.AutoMatched, fee, Math.Round(0.95 + 0.05 * (1 - Ratio(delta, autoLimit)), 4), ids, inUse + ".", ResidualCause.Rounding);
        if (WithinSuggest(billed, delta, tolerance))
            return new(RowStatus.Suggested, fee, Math.Round(SuggestConfidence(billed, delta, tolerance), 4), ids,
                $"{inUse}; billed differs by {Percent(delta, billed)}, within the suggest tolerance.");
        return new(RowStatus.Unreconciled, fee, 0, ids, $"{inUse}; billed ${billed:0.00} differs by {Percent(delta, billed)}.");
    }

    private sealed record DayWindow(DateOnly From, DateOnly To, decimal Observed, IReadOnlyList<string> SessionIds,
        IReadOnlyList<DateOnly> DaysBilledByAnotherRow, IReadOnlyList<DateOnly> DaysTheRowAfterClaims,
        IReadOnlyList<(DateOnly Day, decimal ObservedUsd)> ByDay)
    {
        public string Label => From == To ? From.ToString("yyyy-MM-dd") : $"{From:yyyy-MM-dd} to {To:yyyy-MM-dd}";
    }

    private static DayWindow Window(MatchEvidence evidence, DateOnly from, DateOnly to)
    {
        var days = evidence.Days.Where(d => d.Day >= from && d.Day <= to).ToList();
        return new(from, to, days.Sum(d => d.ObservedUsd), days.SelectMany(d => d.SessionIds).ToList(),
            days.Where(d => d.BilledByAnotherRow).Select(d => d.Day).ToList(), days.Where(d => d.AnotherRowTheDayAfter).Select(d => d.Day).ToList(),
            days.Select(d => (d.Day, d.ObservedUsd)).ToList());
    }

    private static MatchOutcome Suggest(DayWindow window, double confidence, string reason, ResidualCause cause) =>
        new(RowStatus.Suggested, window.Observed, Math.Round(confidence, 4), Ids(window), reason, cause, window.ByDay);

    private static IReadOnlyList<string> Ids(DayWindow window) => window.SessionIds.Take(MaxSessionIdsKept).ToList();

    private static bool WithinSuggest(decimal billed, decimal delta, MatchTolerance tolerance) =>
        delta <= Math.Max(AutoMatchFloorUsd, tolerance.SuggestRatio * Math.Abs(billed));

    private static double SuggestConfidence(decimal billed, decimal delta, MatchTolerance tolerance) =>
        0.5 + 0.4 * (1 - Ratio(delta, Math.Max(AutoMatchFloorUsd, tolerance.SuggestRatio * Math.Abs(billed))));

    private static double Ratio(decimal part, decimal whole) => whole == 0 ? 1 : Math.Clamp((double)(part / whole), 0, 1);

    private static string Percent(decimal delta, decimal billed) =>
        billed == 0 ? $"${delta:0.00}" : $"{(double)(delta / Math.Abs(billed)):P1}";
}
