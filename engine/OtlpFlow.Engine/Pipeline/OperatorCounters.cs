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
    private long _itemsCreated;
    private long _tickErrors;

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

    /// <summary>Items the operator made rather than received (see <see cref="Operators.IOperatorOutput.CountCreated"/>).</summary>
    public long ItemsCreated => Interlocked.Read(ref _itemsCreated);

    /// <summary>Ticks (<c>TickAsync</c>) that threw.</summary>
    public long TickErrors => Interlocked.Read(ref _tickErrors);

    /// <summary>Dropped items by reason.</summary>
    public IReadOnlyDictionary<string, long> DroppedByReason =>
        _dropped.ToDictionary(p => p.Key, p => Interlocked.Read(ref p.Value.Value), StringComparer.Ordinal);

    /// <summary>
    /// True when items in + returned + created = items out + items dropped. Meaningful once the
    /// operator has drained; the run summary and <c>otlpflow perf</c> flag an operator for which it is false.
    /// </summary>
    public bool Balanced => ItemsIn + ItemsReturned + ItemsCreated == ItemsOut + ItemsDropped;

    /// <summary>Items out + dropped less items in + returned + created: zero when balanced, positive when more left than came.</summary>
    public long Imbalance => ItemsOut + ItemsDropped - ItemsIn - ItemsReturned - ItemsCreated;

    /// <summary>The conservation equation as it stands, for a warning about an operator that does not balance.</summary>
    public string DescribeImbalance() =>
        string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"in {ItemsIn} + returned {ItemsReturned} + created {ItemsCreated} != out {ItemsOut} + dropped {ItemsDropped} ({Imbalance:+#;-#;0} items unaccounted)");

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

    internal void CountCreated(long items) => Interlocked.Add(ref _itemsCreated, items);

    internal void CountTickError() => Interlocked.Increment(ref _tickErrors);

    /// <inheritdoc />
    public override string ToString() =>
        $"in {ItemsIn}, out {ItemsOut}, dropped {ItemsDropped}"
        + (ItemsCreated != 0 ? $", created {ItemsCreated}" : string.Empty)
        + (ItemsReturned != 0 ? $", returned {ItemsReturned}" : string.Empty);

    private sealed class StrongBox
    {
        public long Value;
    }
}
