namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// The last <c>capacity</c> trace ids decided one way, with the reason, so that a span arriving
/// after its trace was decided follows that decision. Oldest first out; not thread-safe (the tail
/// sampler uses it under its lock).
/// </summary>
internal sealed class DecisionCache(int capacity)
{
    private readonly Dictionary<TraceKey, string> _reasons = new(Math.Min(capacity, 1 << 16));
    private readonly Queue<TraceKey> _order = new(Math.Min(capacity, 1 << 16));

    public int Count => _reasons.Count;

    public void Add(TraceKey key, string reason)
    {
        if (capacity == 0 || !_reasons.TryAdd(key, reason))
        {
            return;
        }

        _order.Enqueue(key);
        if (_order.Count > capacity)
        {
            _reasons.Remove(_order.Dequeue());
        }
    }

    public bool TryGet(TraceKey key, out string reason) => _reasons.TryGetValue(key, out reason!);
}
