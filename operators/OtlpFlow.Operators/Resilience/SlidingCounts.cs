namespace OtlpFlow.Operators.Resilience;

/// <summary>
/// A few counters summed over a sliding time window, kept as a ring of buckets. Not thread-safe:
/// its owners (breaker, retry budget) already hold a lock around every use.
/// </summary>
internal sealed class SlidingCounts
{
    private readonly long[] _counts;
    private readonly long[] _epochs;
    private readonly int _width;
    private readonly long _bucketTicks;

    /// <summary>Creates the window.</summary>
    /// <param name="window">The window's length.</param>
    /// <param name="buckets">How finely it slides: the window is this many buckets.</param>
    /// <param name="width">How many counters each bucket holds.</param>
    /// <param name="frequency">The timestamp frequency of the clock (<see cref="TimeProvider.TimestampFrequency"/>).</param>
    public SlidingCounts(TimeSpan window, int buckets, int width, long frequency)
    {
        _width = width;
        _counts = new long[buckets * width];
        _epochs = new long[buckets];
        Array.Fill(_epochs, long.MinValue);
        _bucketTicks = Math.Max(1, (long)(window.TotalSeconds * frequency / buckets));
    }

    private int Buckets => _epochs.Length;

    /// <summary>Adds <paramref name="amount"/> to counter <paramref name="counter"/> at time <paramref name="now"/>.</summary>
    public void Add(long now, int counter, long amount = 1)
    {
        var epoch = now / _bucketTicks;
        var bucket = (int)(epoch % Buckets);
        if (_epochs[bucket] != epoch)
        {
            // The slot last held an older bucket: it has slid out of the window.
            _epochs[bucket] = epoch;
            Array.Clear(_counts, bucket * _width, _width);
        }

        _counts[(bucket * _width) + counter] += amount;
    }

    /// <summary>The sum of counter <paramref name="counter"/> over the window ending at <paramref name="now"/>.</summary>
    public long Sum(long now, int counter)
    {
        var current = now / _bucketTicks;
        long sum = 0;
        for (var b = 0; b < Buckets; b++)
        {
            var epoch = _epochs[b];
            if (epoch <= current && epoch > current - Buckets)
            {
                sum += _counts[(b * _width) + counter];
            }
        }

        return sum;
    }

    /// <summary>Forgets everything.</summary>
    public void Clear()
    {
        Array.Clear(_counts);
        Array.Fill(_epochs, long.MinValue);
    }
}
