namespace Flowstate.Ingestion;

/// <summary>Calls over many items with a bounded number in flight.</summary>
internal static class Bounded
{
    /// <summary>Calls <paramref name="call"/> for every item, at most <paramref name="parallelism"/> at once (a sliding window).</summary>
    public static async Task<TOut[]> ForEachAsync<TIn, TOut>(IReadOnlyList<TIn> items, int parallelism, Func<TIn, Task<TOut>> call)
    {
        var results = new TOut[items.Count];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Math.Min(parallelism, items.Count)).Select(async _ =>
        {
            for (int i; (i = Interlocked.Increment(ref next)) < items.Count;) results[i] = await call(items[i]);
        }));
        return results;
    }
}
