using System.Globalization;

namespace Flowstate;

/// <summary>A calendar month in UTC, written <c>yyyy-MM</c>; the unit of reconciliation.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.Period")]
public readonly record struct Period([property: Id(0)] int Year, [property: Id(1)] int Month) : IComparable<Period>
{
    public static Period Of(DateOnly day) => new(day.Year, day.Month);
    public static Period Of(DateTimeOffset instant) => Of(DateOnly.FromDateTime(instant.UtcDateTime));

    public static bool TryParse(string? text, out Period period)
    {
        period = default;
        if (text is not { Length: 7 } || text[4] != '-') return false;
        if (!int.TryParse(text.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var y)) return false;
        if (!int.TryParse(text.AsSpan(5, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var m)) return false;
        if (y < 2000 || y > 2999 || m < 1 || m > 12) return false;
        period = new Period(y, m);
        return true;
    }

    public static Period Parse(string? text) => TryParse(text, out var p)
        ? p
        : throw FlowstateException.InvalidInput($"Period '{text}' is not a month in the form YYYY-MM, e.g. 2026-11.");

    public DateOnly FirstDay => new(Year, Month, 1);
    public DateTimeOffset Start => new(Year, Month, 1, 0, 0, 0, TimeSpan.Zero);
    public Period Next => Month == 12 ? new(Year + 1, 1) : new(Year, Month + 1);
    public Period Previous => Month == 1 ? new(Year - 1, 12) : new(Year, Month - 1);
    public DateOnly LastDay => FirstDay.AddMonths(1).AddDays(-1);
    public bool Contains(DateOnly day) => day.Year == Year && day.Month == Month;

    public int CompareTo(Period other) => (Year * 12 + Month).CompareTo(other.Year * 12 + other.Month);
    public static bool operator <(Period a, Period b) => a.CompareTo(b) < 0;
    public static bool operator >(Period a, Period b) => a.CompareTo(b) > 0;
    public static bool operator <=(Period a, Period b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Period a, Period b) => a.CompareTo(b) >= 0;

    public override string ToString() => $"{Year:D4}-{Month:D2}";
}
