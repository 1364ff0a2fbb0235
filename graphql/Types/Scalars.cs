using System.Globalization;
using GraphQL.Types;
using GraphQLParser.AST;

namespace Flowstate.GraphQL.Types;

/// <summary>
/// An input value that did not parse. Scalars return it instead of failing the whole request,
/// so that one malformed item of an ingest batch is rejected on its own (see <see cref="Args"/>).
/// </summary>
public sealed record Malformed(string Raw, string Expected)
{
    public string Describe(string field) => $"{field}: '{Raw}' is not {Expected}.";
}

/// <summary>Money in USD: output as a plain decimal string ("1234.56"), input as a string or a number.</summary>
public sealed class DecimalScalar : ScalarGraphType
{
    private const string Expected = "a decimal amount such as \"1234.56\"";
    private const string Bounded = "an amount below ±10^12 with at most 10 decimal places";
    public DecimalScalar() { Name = "Decimal"; Description = "Money in USD as a plain decimal string, e.g. \"1234.56\"."; }

    public static string Format(decimal value) => (value / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);

    public override object? Serialize(object? value) => value switch
    {
        null => null,
        decimal d => Format(d),
        _ => throw new InvalidOperationException($"Decimal cannot serialize {value.GetType().Name}"),
    };

    public override object? ParseValue(object? value) => value switch
    {
        null => null,
        decimal d => InputLimits.MoneyProblem(d) is null ? d : new Malformed(Format(d), Bounded),
        int or long or double or float => Parse(Convert.ToString(value, CultureInfo.InvariantCulture)!),
        string s => Parse(s),
        _ => new Malformed(value.ToString() ?? "", Expected),
    };

    public override object? ParseLiteral(GraphQLValue value) => value switch
    {
        GraphQLNullValue => null,
        GraphQLIntValue i => Parse(i.Value.ToString()),
        GraphQLFloatValue f => Parse(f.Value.ToString()),
        GraphQLStringValue s => Parse(s.Value.ToString()),
        _ => ThrowLiteralConversionError(value),
    };

    /// <summary>Parses an amount, refusing (never rounding) what money cannot hold (<see cref="InputLimits"/>).</summary>
    private static object Parse(string s)
    {
        if (!decimal.TryParse(s.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var d))
            return new Malformed(s, Expected);
        return InputLimits.MoneyTextProblem(s) is null && InputLimits.MoneyProblem(d) is null ? d : new Malformed(s, Bounded);
    }
}

/// <summary>A scalar written as a string on the wire; what does not parse becomes <see cref="Malformed"/>.</summary>
public abstract class StringScalar<T> : ScalarGraphType where T : struct
{
    protected abstract string Expected { get; }
    protected abstract bool TryParse(string text, out T value);
    protected abstract string Format(T value);

    public override object? Serialize(object? value) => value switch
    {
        null => null,
        T t => Format(t),
        _ => throw new InvalidOperationException($"{Name} cannot serialize {value.GetType().Name}"),
    };

    public override object? ParseValue(object? value) => value switch
    {
        null => null,
        T t => t,
        string s => Parse(s),
        _ => new Malformed(value.ToString() ?? "", Expected),
    };

    public override object? ParseLiteral(GraphQLValue value) => value switch
    {
        GraphQLNullValue => null,
        GraphQLStringValue s => Parse(s.Value.ToString()),
        _ => ThrowLiteralConversionError(value),
    };

    private object Parse(string s) => TryParse(s, out var v) ? v : new Malformed(s, Expected);
}

/// <summary>A calendar date, "2026-11-23".</summary>
public sealed class DateScalar : StringScalar<DateOnly>
{
    public DateScalar() { Name = "Date"; Description = "A calendar date, e.g. \"2026-11-23\"."; }
    protected override string Expected => "a date in the form YYYY-MM-DD";
    protected override bool TryParse(string text, out DateOnly value) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    protected override string Format(DateOnly value) => value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>An instant, ISO 8601 with an offset; output in UTC.</summary>
public sealed class DateTimeScalar : StringScalar<DateTimeOffset>
{
    public DateTimeScalar() { Name = "DateTime"; Description = "An ISO 8601 instant, output in UTC."; }
    protected override string Expected => "an ISO 8601 date-time with offset, e.g. \"2026-11-23T09:30:00Z\"";

    protected override bool TryParse(string text, out DateTimeOffset value)
    {
        value = default;
        var hasOffset = text.Length >= 20 && (text[^1] is 'Z' or 'z' || text[^6] is '+' or '-');
        if (!hasOffset || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)) return false;
        value = parsed.ToUniversalTime();
        return true;
    }

    protected override string Format(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}
