using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// Items a sampler kept and dropped, by reason (a policy name, a rule name, <c>ratio</c>...). The
/// engine already counts drops by reason for conservation; these counters add the kept side, so
/// that "why was this kept" is as visible as "why was this dropped". Published on the engine's
/// meter as <c>otlpflow.sampling.kept</c> and <c>otlpflow.sampling.dropped</c>, tagged with
/// <c>operator</c> and <c>reason</c>.
/// </summary>
public sealed class SamplingCounters
{
    private readonly ConcurrentDictionary<string, long> _kept = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _dropped = new(StringComparer.Ordinal);
    private readonly Counter<long>? _keptInstrument;
    private readonly Counter<long>? _droppedInstrument;
    private readonly string _operatorId;

    /// <summary>Creates counters for operator <paramref name="operatorId"/>, publishing on <paramref name="meter"/> when one is given.</summary>
    internal SamplingCounters(string operatorId, Meter? meter)
    {
        _operatorId = operatorId;
        if (meter is not null)
        {
            _keptInstrument = meter.CreateCounter<long>("otlpflow.sampling.kept", "{item}", "Items a sampler kept, by reason.");
            _droppedInstrument = meter.CreateCounter<long>("otlpflow.sampling.dropped", "{item}", "Items a sampler dropped, by reason.");
        }
    }

    /// <summary>Kept items by reason.</summary>
    public IReadOnlyDictionary<string, long> KeptByReason => _kept;

    /// <summary>Dropped items by reason.</summary>
    public IReadOnlyDictionary<string, long> DroppedByReason => _dropped;

    /// <summary>Kept items for any reason.</summary>
    public long Kept => _kept.Values.Sum();

    /// <summary>Dropped items for any reason.</summary>
    public long Dropped => _dropped.Values.Sum();

    /// <summary>Counts <paramref name="items"/> kept for <paramref name="reason"/>.</summary>
    internal void CountKept(long items, string reason)
    {
        if (items <= 0)
        {
            return;
        }

        _kept.AddOrUpdate(reason, items, (_, n) => n + items);
        _keptInstrument?.Add(items, new KeyValuePair<string, object?>("operator", _operatorId), new KeyValuePair<string, object?>("reason", reason));
    }

    /// <summary>Counts <paramref name="items"/> dropped for <paramref name="reason"/>.</summary>
    internal void CountDropped(long items, string reason)
    {
        if (items <= 0)
        {
            return;
        }

        _dropped.AddOrUpdate(reason, items, (_, n) => n + items);
        _droppedInstrument?.Add(items, new KeyValuePair<string, object?>("operator", _operatorId), new KeyValuePair<string, object?>("reason", reason));
    }
}
