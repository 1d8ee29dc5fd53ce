using System.Collections.Concurrent;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// One limiter per key, with a bound on live keys: partitions idle for the timeout are evicted,
/// and while the bound is reached by busy partitions, new keys share one overflow limiter (so a
/// flood of distinct keys can neither grow memory nor escape the limit).
/// </summary>
internal sealed class LimiterPartitions
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Func<IPermitLimiter> _factory;
    private readonly TimeProvider _time;
    private readonly int _max;
    private readonly long _idleTicks;
    private readonly Lazy<IPermitLimiter> _overflow;
    private long _lastSweep;

    public LimiterPartitions(Func<IPermitLimiter> factory, int maxPartitions, TimeSpan idleTimeout, TimeProvider time)
    {
        _factory = factory;
        _time = time;
        _max = maxPartitions;
        _idleTicks = (long)(idleTimeout.TotalSeconds * time.TimestampFrequency);
        _overflow = new Lazy<IPermitLimiter>(factory);
        _lastSweep = time.GetTimestamp();
    }

    /// <summary>Live partitions (the overflow limiter not counted).</summary>
    public int Count => _entries.Count;

    /// <summary>True once some key had to share the overflow limiter.</summary>
    public bool OverflowUsed => _overflow.IsValueCreated;

    public IPermitLimiter Get(string key)
    {
        var now = _time.GetTimestamp();
        if (_entries.TryGetValue(key, out var entry))
        {
            Volatile.Write(ref entry.LastUsed, now);
            return entry.Limiter;
        }

        if (now - Volatile.Read(ref _lastSweep) > _idleTicks / 2 || _entries.Count >= _max)
        {
            Sweep(now);
        }

        if (_entries.Count >= _max)
        {
            return _overflow.Value;
        }

        entry = _entries.GetOrAdd(key, static (_, factory) => new Entry(factory()), _factory);
        Volatile.Write(ref entry.LastUsed, now);
        return entry.Limiter;
    }

    private void Sweep(long now)
    {
        Volatile.Write(ref _lastSweep, now);
        foreach (var (key, entry) in _entries)
        {
            if (now - Volatile.Read(ref entry.LastUsed) >= _idleTicks)
            {
                _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
            }
        }
    }

    private sealed class Entry(IPermitLimiter limiter)
    {
        public readonly IPermitLimiter Limiter = limiter;
        public long LastUsed;
    }
}
