using System.Globalization;
using Google.Protobuf.Collections;

namespace Flowstate.Telemetry.Otlp;

/// <summary>Which OTLP signal a record came in.</summary>
public enum OtlpSignal { Log, Metric, Span }

/// <summary>
/// One log record, metric data point or span of an export, flattened: its position in the export
/// (what a rejection names), its name, times and the attributes it carries over its resource's.
/// </summary>
public sealed class TelemetryRecord
{
    public required int Index { get; init; }
    public required OtlpSignal Signal { get; init; }
    /// <summary>The log record's eventName field, the metric's name, or the span's name.</summary>
    public string? Name { get; init; }
    public string? Body { get; init; }
    public ulong TimeUnixNano { get; init; }
    public ulong ObservedTimeUnixNano { get; init; }
    public ulong StartTimeUnixNano { get; init; }
    public required AttributeSet Attributes { get; init; }
    /// <summary>A metric data point's value and temporality.</summary>
    public double? Value { get; init; }
    public bool Cumulative { get; init; }
    public string? SpanId { get; init; }
}

/// <summary>A malformed or unmappable value: the field (attribute key) and what is wrong with it.</summary>
public sealed class FieldException(string field, string problem) : Exception($"{field}: {problem}")
{
    public string Field { get; } = field;
}

/// <summary>
/// A record's attributes over its resource's (Claude Code copies OTEL_RESOURCE_ATTRIBUTES onto both;
/// the record's own value wins). Lookups scan the two lists: records carry a few dozen attributes,
/// so a scan is cheaper than building a dictionary per record.
/// </summary>
public sealed class AttributeSet(RepeatedField<KeyValue> record, RepeatedField<KeyValue>? resource)
{
    public AnyValue? Get(string key)
    {
        foreach (var kv in record) if (kv.Key == key) return kv.Value;
        if (resource is not null) foreach (var kv in resource) if (kv.Key == key) return kv.Value;
        return null;
    }

    public bool Has(string key) => Get(key) is { ValueCase: not AnyValue.ValueOneofCase.None };

    /// <summary>
    /// A string attribute (numbers and booleans as their text); null when absent or empty. Text that
    /// storage cannot hold (<see cref="InputLimits"/>) rejects the record, naming the key.
    /// </summary>
    public string? String(string key)
    {
        var text = Text(key);
        return text is not null && InputLimits.TextProblem(text) is { } problem ? throw new FieldException(key, problem) : text;
    }

    private string? Text(string key) => Get(key) switch
    {
        null => null,
        { ValueCase: AnyValue.ValueOneofCase.StringValue } v => v.StringValue.Length == 0 ? null : v.StringValue,
        { ValueCase: AnyValue.ValueOneofCase.IntValue } v => v.IntValue.ToString(CultureInfo.InvariantCulture),
        { ValueCase: AnyValue.ValueOneofCase.BoolValue } v => v.BoolValue ? "true" : "false",
        { ValueCase: AnyValue.ValueOneofCase.ArrayValue } v => v.ArrayValue.Values.Select(x => x.StringValue).FirstOrDefault(x => x.Length > 0),
        _ => null,
    };

    /// <summary>
    /// A whole number sent as intValue, an integral doubleValue or a decimal string (agents have sent
    /// all three); null when absent. Anything else is malformed and names the key.
    /// </summary>
    public long? Long(string key)
    {
        var v = Get(key);
        switch (v?.ValueCase)
        {
            case null or AnyValue.ValueOneofCase.None: return v is null ? null : throw new FieldException(key, "has no value.");
            case AnyValue.ValueOneofCase.IntValue: return v.IntValue;
            case AnyValue.ValueOneofCase.DoubleValue when double.IsFinite(v.DoubleValue) && Math.Floor(v.DoubleValue) == v.DoubleValue
                                                         && Math.Abs(v.DoubleValue) < 9e15:
                return (long)v.DoubleValue;
            case AnyValue.ValueOneofCase.StringValue when long.TryParse(v.StringValue, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n):
                return n;
            default: throw new FieldException(key, $"'{Describe(v)}' is not a whole number.");
        }
    }

    /// <summary>A number (intValue, doubleValue or a decimal string) as a decimal; null when absent.</summary>
    public decimal? Decimal(string key)
    {
        var v = Get(key);
        switch (v?.ValueCase)
        {
            case null or AnyValue.ValueOneofCase.None: return v is null ? null : throw new FieldException(key, "has no value.");
            case AnyValue.ValueOneofCase.IntValue: return v.IntValue;
            case AnyValue.ValueOneofCase.DoubleValue when double.IsFinite(v.DoubleValue) && Math.Abs(v.DoubleValue) < 1e12:
                return (decimal)v.DoubleValue;
            case AnyValue.ValueOneofCase.StringValue when decimal.TryParse(v.StringValue, NumberStyles.Float, CultureInfo.InvariantCulture, out var d):
                return d;
            default: throw new FieldException(key, $"'{Describe(v)}' is not a number.");
        }
    }

    /// <summary>Every attribute of the record (not the resource's) except <paramref name="except"/>, in a stable order: a metric series' identity.</summary>
    public string SeriesKey(string except) =>
        string.Join('\u001f', record.Where(kv => kv.Key != except).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + Describe(kv.Value)));

    private static string Describe(AnyValue? v) => v?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => v.StringValue,
        AnyValue.ValueOneofCase.IntValue => v.IntValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => v.DoubleValue.ToString("R", CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BoolValue => v.BoolValue ? "true" : "false",
        _ => v?.ToString() ?? "",
    };
}
