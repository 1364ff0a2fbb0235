namespace Flowstate.GraphQL.Types;

/// <summary>
/// Reads one input object (a dictionary after GraphQL coercion) into typed values. Values that
/// failed to parse are collected as field errors instead of thrown, for per-item rejection;
/// <see cref="ThrowIfInvalid"/> turns them into INVALID_INPUT where a whole request must fail.
/// Strings are checked against what storage can hold (<see cref="InputLimits"/>) as they are read.
/// Nested objects report into their parent's errors, except the items of a batch
/// (<see cref="Items"/>), which are each rejected on their own.
/// </summary>
public sealed class Args
{
    private readonly IDictionary<string, object?>? values;
    private readonly string path;

    public Args(IDictionary<string, object?>? values) : this(values, [], "") { }

    private Args(IDictionary<string, object?>? values, List<string> errors, string path)
    {
        this.values = values;
        this.path = path;
        Errors = errors;
    }

    public List<string> Errors { get; }

    public bool Has(string name) => values?.ContainsKey(name) == true;

    /// <summary>A single-line string of at most <paramref name="maxLength"/> characters.</summary>
    public string? String(string name, int maxLength = InputLimits.MaxText) => Checked(name, V(name)?.ToString(), maxLength, multiline: false);

    /// <summary>Free text that may span lines (a note on an action, a description, a CSV file).</summary>
    public string? Note(string name, int maxLength = InputLimits.MaxNote) => Checked(name, V(name)?.ToString(), maxLength, multiline: true);

    public T? Struct<T>(string name) where T : struct => Get<T?>(name, default);

    public T Enum<T>(string name, T fallback) where T : struct, System.Enum
    {
        var value = V(name);
        if (value is Malformed m) Errors.Add(m.Describe(path + name));
        return value is T t ? t : fallback;
    }

    public long Long(string name, long fallback = 0) => V(name) switch
    {
        int i => i,
        long l => l,
        _ => fallback,
    };

    public int? Int(string name) => V(name) is int i ? i : null;

    public double? Double(string name) => V(name) switch
    {
        double d => d,
        int i => i,
        _ => null,
    };

    public Args Object(string name) => new(V(name) as IDictionary<string, object?>, Errors, $"{path}{name}.");

    public IEnumerable<Args> Objects(string name) =>
        (V(name) as IEnumerable<object?> ?? []).Select((o, i) => new Args(o as IDictionary<string, object?>, Errors, $"{path}{name}[{i}]."));

    /// <summary>The items of a batch, each with errors of its own.</summary>
    public IEnumerable<Args> Items(string name) =>
        (V(name) as IEnumerable<object?> ?? []).Select(o => new Args(o as IDictionary<string, object?>));

    public IEnumerable<string> Strings(string name, int maxLength = InputLimits.MaxText) =>
        (V(name) as IEnumerable<object?> ?? []).OfType<string>().Select((s, i) => Checked($"{name}[{i}]", s, maxLength, multiline: false)!);

    /// <summary>A list of at most <paramref name="maxCount"/> single-line strings; null when the field is absent.</summary>
    public IReadOnlyList<string>? StringList(string name, int maxCount, int maxLength)
    {
        if (V(name) is not IEnumerable<object?>) return null;
        var list = Strings(name, maxLength).ToList();
        if (list.Count > maxCount) Errors.Add($"{path}{name} has {list.Count} items; at most {maxCount} are taken.");
        return list;
    }

    public bool IsNull => values is null;

    private object? V(string name) => values is not null && values.TryGetValue(name, out var v) ? v : null;

    public void ThrowIfInvalid()
    {
        if (Errors.Count > 0) throw FlowstateException.InvalidInput(string.Join("; ", Errors));
    }

    private string? Checked(string name, string? value, int maxLength, bool multiline)
    {
        if (value is not null && InputLimits.TextProblem(value, maxLength, multiline) is { } problem) Errors.Add($"{path}{name} {problem}");
        return value;
    }

    private T? Get<T>(string name, T? fallback)
    {
        var value = V(name);
        if (value is Malformed m) { Errors.Add(m.Describe(path + name)); return fallback; }
        return value is null ? fallback : (T)value;
    }
}
