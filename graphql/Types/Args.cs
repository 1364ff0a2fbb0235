namespace Flowstate.GraphQL.Types;

/// <summary>
/// Reads one input object (a dictionary after GraphQL coercion) into typed values. Values that
/// failed to parse are collected as field errors instead of thrown, for per-item rejection;
/// <see cref="ThrowIfInvalid"/> turns them into INVALID_INPUT where a whole request must fail.
/// </summary>
public sealed class Args(IDictionary<string, object?>? values)
{
    public List<string> Errors { get; } = [];

    public bool Has(string name) => values?.ContainsKey(name) == true;

    public string? String(string name) => V(name)?.ToString();

    public T? Struct<T>(string name) where T : struct => Get<T?>(name, default);

    public T Enum<T>(string name, T fallback) where T : struct, System.Enum => V(name) is T t ? t : fallback;

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

    public Args Object(string name) => new(V(name) as IDictionary<string, object?>);

    public IEnumerable<Args> Objects(string name) =>
        (V(name) as IEnumerable<object?> ?? []).Select(o => new Args(o as IDictionary<string, object?>));

    public IEnumerable<T> List<T>(string name) => (V(name) as IEnumerable<object?> ?? []).OfType<T>();

    public bool IsNull => values is null;

    private object? V(string name) => values is not null && values.TryGetValue(name, out var v) ? v : null;

    public void ThrowIfInvalid()
    {
        if (Errors.Count > 0) throw FlowstateException.InvalidInput(string.Join("; ", Errors));
    }

    private T? Get<T>(string name, T? fallback)
    {
        var value = V(name);
        if (value is Malformed m) { Errors.Add(m.Describe(name)); return fallback; }
        return value is null ? fallback : (T)value;
    }
}
