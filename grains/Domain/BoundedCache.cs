namespace Flowstate.Domain;

/// <summary>A dictionary that forgets its oldest entries beyond a capacity (first in, first out). Not thread-safe.</summary>
public sealed class BoundedCache<TKey, TValue>(int capacity) where TKey : notnull
{
    private readonly Dictionary<TKey, TValue> _entries = [];
    private readonly Queue<TKey> _order = new();

    public bool TryGet(TKey key, out TValue value) => _entries.TryGetValue(key, out value!);

    public TValue Set(TKey key, TValue value)
    {
        if (!_entries.ContainsKey(key))
        {
            _order.Enqueue(key);
            while (_order.Count > capacity) _entries.Remove(_order.Dequeue());
        }
        return _entries[key] = value;
    }
}
