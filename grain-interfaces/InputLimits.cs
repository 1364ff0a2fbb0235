using System.Globalization;

namespace Flowstate;

/// <summary>
/// What storage can hold, checked at the edge (GraphQL inputs, OTLP records) so that a value
/// PostgreSQL would refuse never reaches a grain: text without control characters or broken
/// UTF-16 (tabs are taken; line breaks only in multi-line text such as notes), of bounded length, and money of bounded size and precision (never silently rounded).
/// Each check returns the problem in words, or null when the value is fine.
/// </summary>
public static class InputLimits
{
    /// <summary>Any stored string not bounded more tightly (names, descriptions, models, paths, URLs).</summary>
    public const int MaxText = 1000;

    /// <summary>Aliases a person may carry (GitHub login, telemetry ids).</summary>
    public const int MaxAliases = 20;

    /// <summary>Characters in one alias (a GitHub login has at most 39; telemetry ids run longer).</summary>
    public const int MaxAliasLength = 200;

    /// <summary>Notes on actions: multi-line free text.</summary>
    public const int MaxNote = 2000;

    /// <summary>A session's prompt or response (multi-line): what an agent shows of one turn, not a whole transcript.</summary>
    public const int MaxContent = 65_536;

    /// <summary>Money is below this in magnitude: a trillion dollars is no bill, and sums of a year stay far from decimal's range.</summary>
    public const decimal MaxMoney = 1_000_000_000_000m;

    /// <summary>Decimal places kept exactly; more would be rounded, so they are refused.</summary>
    public const int MoneyScale = 10;

    /// <summary>Null when <paramref name="value"/> can be stored; else what is wrong with it.</summary>
    public static string? TextProblem(string value, int maxLength = MaxText, bool multiline = false)
    {
        if (value.Length > maxLength) return $"is {value.Length} characters long; at most {maxLength} are taken.";
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) return $"has a broken UTF-16 surrogate at position {i}.";
            var allowed = c == '\t' || (multiline && c is '\n' or '\r');
            if (char.IsControl(c) && !allowed) return $"has the control character U+{(int)c:X4} at position {i}.";
        }
        return null;
    }

    /// <summary>Null when <paramref name="amount"/> is within the money bounds; else what is wrong with it.</summary>
    public static string? MoneyProblem(decimal amount)
    {
        if (Math.Abs(amount) >= MaxMoney) return $"{amount.ToString(CultureInfo.InvariantCulture)} is beyond ±{MaxMoney:0} USD.";
        if (Scale(amount) > MoneyScale) return $"{amount.ToString(CultureInfo.InvariantCulture)} has more than {MoneyScale} decimal places.";
        return null;
    }

    /// <summary>
    /// Money written as text: its significant decimal places are counted on the text itself, since
    /// <see cref="decimal.Parse(string)"/> rounds beyond 28 digits without saying so.
    /// </summary>
    public static string? MoneyTextProblem(string text)
    {
        var s = text.Trim();
        var exponent = s.IndexOfAny(['e', 'E']);
        var mantissa = exponent < 0 ? s : s[..exponent];
        var point = mantissa.IndexOf('.');
        var places = point < 0 ? 0 : mantissa[(point + 1)..].TrimEnd('0').Length;
        if (exponent >= 0 && int.TryParse(s[(exponent + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var e)) places -= e;
        if (places > MoneyScale) return $"{s} has more than {MoneyScale} decimal places.";
        return null;
    }

    private static int Scale(decimal d) => (decimal.GetBits(d / 1.0000000000000000000000000000m)[3] >> 16) & 0xFF;
}
