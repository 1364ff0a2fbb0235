using System.Globalization;
using System.Text.Json;

namespace Flowstate.Connectors.Http;

/// <summary>Where a JSON value came from, so that a bad value is reported with its provider, endpoint, page and field path.</summary>
public sealed record PageRef(ConnectorKind Provider, string Endpoint, int Page)
{
    public ConnectorException Error(string? field, string problem, int? status = null, Exception? inner = null) =>
        new(Provider, Endpoint, Page, field, problem, status, inner);
}

/// <summary>
/// A typed, path-aware view of one JSON value of a provider page. Every accessor either returns a
/// value of the documented type or throws a <see cref="ConnectorException"/> naming the field.
/// </summary>
public readonly struct JsonNode(JsonElement element, string path, PageRef page)
{
    public JsonElement Element => element;
    public string Path => path;
    public PageRef Page => page;

    private string Child(string name) => path.Length == 0 ? name : $"{path}.{name}";

    public bool IsNull => element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;

    /// <summary>A required member (present and not null).</summary>
    public JsonNode Get(string name)
    {
        var node = Opt(name) ?? throw page.Error(Child(name), "missing");
        return node;
    }

    /// <summary>An optional member: null when absent or JSON null.</summary>
    public JsonNode? Opt(string name)
    {
        if (element.ValueKind != JsonValueKind.Object) throw page.Error(path.Length == 0 ? "(root)" : path, $"expected an object, got {Kind(element)}");
        return element.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? new JsonNode(v, Child(name), page) : null;
    }

    public IEnumerable<JsonNode> Items()
    {
        if (element.ValueKind != JsonValueKind.Array) throw page.Error(path, $"expected an array, got {Kind(element)}");
        var i = 0;
        foreach (var item in element.EnumerateArray()) yield return new JsonNode(item, $"{path}[{i++}]", page);
    }

    public string String()
    {
        if (element.ValueKind != JsonValueKind.String) throw page.Error(path, $"expected a string, got {Kind(element)}");
        return element.GetString()!;
    }

    public bool Bool() => element.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw page.Error(path, $"expected true or false, got {Kind(element)}"),
    };

    public long Long()
    {
        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var n)) return n;
        if (element.ValueKind == JsonValueKind.String && long.TryParse(element.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out n)) return n;
        throw page.Error(path, $"expected an integer, got {Describe()}");
    }

    /// <summary>An exact decimal from a JSON number (long tails kept) or a numeric string; anything else is an error.</summary>
    public decimal Decimal()
    {
        if (element.ValueKind == JsonValueKind.Number)
        {
            if (element.TryGetDecimal(out var d)) return d;
            // Exponent forms decimal's parser takes but TryGetDecimal refuses.
            if (decimal.TryParse(element.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out d)) return d;
        }
        if (element.ValueKind == JsonValueKind.String &&
            decimal.TryParse(element.GetString(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var s))
            return s;
        throw page.Error(path, $"expected a number, got {Describe()}");
    }

    /// <summary>A decimal that must arrive as a JSON string (Anthropic's cent strings).</summary>
    public decimal DecimalString()
    {
        if (element.ValueKind != JsonValueKind.String) throw page.Error(path, $"expected a decimal string, got {Kind(element)}");
        return Decimal();
    }

    public DateTimeOffset Time()
    {
        if (element.ValueKind == JsonValueKind.String &&
            DateTimeOffset.TryParse(element.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
            return t;
        throw page.Error(path, $"expected an RFC 3339 time, got {Describe()}");
    }

    private string Describe() => element.ValueKind == JsonValueKind.String ? $"string \"{Clip(element.GetString()!)}\"" : Kind(element);

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
