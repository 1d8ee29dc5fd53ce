using System.Collections.Concurrent;

namespace OtlpFlow.Engine.Pipeline;

/// <summary>
/// What flowed through one operator (guarantee 6: items in = items out + items dropped, once the
/// operator has drained; items that came back to be sent again count as in once more). For a sink, "out" means delivered. Updated with Interlocked operations;
/// read at any time for a live view.
/// </summary>
public sealed class OperatorCounters
{
    private readonly ConcurrentDictionary<string, StrongBox> _dropped = new(StringComparer.Ordinal);
    private long _itemsIn;
    private long _itemsOut;
    private long _batchesIn;
    private long _batchesOut;
    private long _itemsDropped;
    private long _itemsReturned;
    private long _errors;

    /// <summary>Items received.</summary>
    public long ItemsIn => Interlocked.Read(ref _itemsIn);

    /// <summary>Items sent on (for a sink: delivered).</summary>
    public long ItemsOut => Interlocked.Read(ref _itemsOut);

    /// <summary>Batches received.</summary>
    public long BatchesIn => Interlocked.Read(ref _batchesIn);

    /// <summary>Batches sent on.</summary>
    public long BatchesOut => Interlocked.Read(ref _batchesOut);

    /// <summary>Items dropped for any reason.</summary>
    public long ItemsDropped => Interlocked.Read(ref _itemsDropped);

    /// <summary>Items that came back after being sent on, to be sent again or dropped (see <see cref="Operators.IOperatorOutput.CountReturned"/>).</summary>
    public long ItemsReturned => Interlocked.Read(ref _itemsReturned);

    /// <summary>Batches whose processing threw.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Dropped items by reason.</summary>
    public IReadOnlyDictionary<string, long> DroppedByReason =>
        _dropped.ToDictionary(p => p.Key, p => Interlocked.Read(ref p.Value.Value), StringComparer.Ordinal);

    /// <summary>True when items in (and returned) = items out + items dropped. Meaningful once the operator has drained.</summary>
    public bool Balanced => ItemsIn + ItemsReturned == ItemsOut + ItemsDropped;

    internal void CountIn(long items)
    {
        Interlocked.Add(ref _itemsIn, items);
        Interlocked.Increment(ref _batchesIn);
    }

    internal void CountOut(long items)
    {
        Interlocked.Add(ref _itemsOut, items);
        Interlocked.Increment(ref _batchesOut);
    }

    internal void CountDropped(long items, string reason)
    {
        if (items == 0)
        {
            return;
        }

        Interlocked.Add(ref _itemsDropped, items);
        var box = _dropped.GetOrAdd(reason, static _ => new StrongBox());
        Interlocked.Add(ref box.Value, items);
    }

    internal void CountReturned(long items) => Interlocked.Add(ref _itemsReturned, items);

    internal void CountError() => Interlocked.Increment(ref _errors);

    /// <inheritdoc />
    public override string ToString() => $"in {ItemsIn}, out {ItemsOut}, dropped {ItemsDropped}";

    private sealed class StrongBox
    {
        public long Value;
    }
}
