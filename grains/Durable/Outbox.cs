namespace Flowstate.Durable;

/// <summary>
/// The pushes a durable grain owes, kept inside its state so that they are written together with
/// the change they come from. A push is named by its target (a string the grain understands: a
/// period, a rollup scope, …) and the version of the grain's data the target must reach; the grain
/// builds the message from its state when it sends, so the outbox holds no payloads.
/// </summary>
[GenerateSerializer, Alias("Flowstate.Outbox")]
public sealed class Outbox
{
    /// <summary>How many acknowledged targets are remembered; forgetting one only costs a harmless re-send.</summary>
    public const int MaxAcked = 64;

    /// <summary>Target → the version it must still receive.</summary>
    [Id(0)] public Dictionary<string, long> Pending { get; set; } = [];

    /// <summary>Target → the newest version it acknowledged (persisted with the next write).</summary>
    [Id(1)] public Dictionary<string, long> Acked { get; set; } = [];

    public bool HasPending => Pending.Count > 0;

    /// <summary>Owes <paramref name="target"/> <paramref name="version"/>, unless it already acknowledged that (or newer).</summary>
    public void Stage(string target, long version)
    {
        if (Acked.TryGetValue(target, out var acked) && acked >= version) return;
        Pending[target] = Pending.TryGetValue(target, out var owed) ? Math.Max(owed, version) : version;
    }

    /// <summary>Records that <paramref name="target"/> took <paramref name="version"/> (or a newer one).</summary>
    public void Acknowledge(string target, long version)
    {
        Acked[target] = Math.Max(version, Acked.GetValueOrDefault(target));
        if (Pending.TryGetValue(target, out var owed) && owed <= version) Pending.Remove(target);
        if (Acked.Count > MaxAcked)
            foreach (var stale in Acked.Where(a => !Pending.ContainsKey(a.Key)).OrderBy(a => a.Value).Take(Acked.Count - MaxAcked).Select(a => a.Key).ToList())
                Acked.Remove(stale);
    }
}

/// <summary>The state of a grain that uses <see cref="DurableGrain{TState}"/>: it carries its outbox.</summary>
public interface IDurableState
{
    Outbox Outbox { get; }
}
