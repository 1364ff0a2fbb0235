using Flowstate.Attribution;

namespace Flowstate.Domain;

/// <summary>The windows of the attribution views: each ends on its as-of day and includes both ends.</summary>
public static class DateWindows
{
    public static DateWindow Of(DateRange range, DateOnly asOf) => range switch
    {
        DateRange.Last7Days => new(asOf.AddDays(-6), asOf),
        DateRange.Last30Days => new(asOf.AddDays(-29), asOf),
        DateRange.QuarterToDate => new(new DateOnly(asOf.Year, (asOf.Month - 1) / 3 * 3 + 1, 1), asOf),
        DateRange.LastYear => new(asOf.AddDays(-364), asOf),
        _ => throw FlowstateException.InvalidInput($"Unknown date range {range}."),
    };

    /// <summary>The window cut into calendar months, each with the days of the window it holds.</summary>
    public static IEnumerable<(Period Month, DateOnly From, DateOnly To)> Months(DateWindow window)
    {
        for (var month = Period.Of(window.Start); month <= Period.Of(window.End); month = month.Next)
        {
            var first = month.FirstDay;
            var last = month.Next.FirstDay.AddDays(-1);
            yield return (month, first > window.Start ? first : window.Start, last < window.End ? last : window.End);
        }
    }
}
