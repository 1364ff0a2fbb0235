using Flowstate.Reconciliation;

namespace Flowstate.Domain;

/// <summary>
/// The residual of a period by cause (DESIGN §12). Each row not written off carries one cause for
/// its part (billed − its matched observed); an unexplained part of a day the provider has not
/// settled yet is "unsettled days" instead. What is left (observed money that no row claims, or
/// claimed twice) is unsettled while the month itself is within the settle window, else unexplained.
/// The parts add up to the residual exactly, by construction of that last term.
/// </summary>
public static class ResidualBreakdown
{
    /// <summary>Days a provider may still revise or add to its bill (FOCUS pulls use the connector's settleDays; 3 by default).</summary>
    public const int SettleDays = 3;

    /// <param name="residual">Billed − observed − written off of the period.</param>
    /// <param name="named">Row parts by cause, the unexplained ones left out.</param>
    /// <param name="unexplainedByDay">The unexplained row parts by usage day.</param>
    /// <param name="today">The business day now (UTC).</param>
    public static IReadOnlyList<ResidualPart> Of(Period period, decimal residual,
        IEnumerable<(ResidualCause Cause, int Rows, decimal Amount)> named,
        IEnumerable<(DateOnly Day, int Rows, decimal Amount)> unexplainedByDay,
        DateOnly today)
    {
        var parts = Enum.GetValues<ResidualCause>().ToDictionary(c => c, _ => (Rows: 0, Amount: 0m));
        void Add(ResidualCause c, int rows, decimal amount) => parts[c] = (parts[c].Rows + rows, parts[c].Amount + amount);

        foreach (var (cause, rows, amount) in named) Add(cause, rows, amount);
        foreach (var (day, rows, amount) in unexplainedByDay)
            Add(Unsettled(day, today) ? ResidualCause.UnsettledDays : ResidualCause.Unexplained, rows, amount);

        var rest = residual - parts.Values.Sum(p => p.Amount);
        Add(Unsettled(period.LastDay, today) ? ResidualCause.UnsettledDays : ResidualCause.Unexplained, 0, rest);
        return parts.Select(p => new ResidualPart(p.Key, p.Value.Amount, p.Value.Rows)).ToList();
    }

    /// <summary>A day is unsettled until <see cref="SettleDays"/> full days have passed after it.</summary>
    public static bool Unsettled(DateOnly day, DateOnly today) => today.DayNumber - day.DayNumber <= SettleDays;
}
