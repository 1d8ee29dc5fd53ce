namespace OtlpFlow.Cli.Perf;

/// <summary>
/// Latencies in log-linear buckets (16 per power of two, so about 4% apart) from 1 µs to about an
/// hour: fixed memory and lock-free recording, for percentiles of millions of batches.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBuckets = 16;
    private const int Powers = 32; // 2^32 µs is over an hour

    private readonly long[] _counts = new long[Powers * SubBuckets];
    private long _total;
    private long _maxMicros;

    /// <summary>Values recorded.</summary>
    public long Count => Interlocked.Read(ref _total);

    /// <summary>The largest value recorded.</summary>
    public TimeSpan Max => TimeSpan.FromMicroseconds(Interlocked.Read(ref _maxMicros));

    /// <summary>Records one latency (negative values, from clocks a little apart, count as 0).</summary>
    public void Record(TimeSpan latency)
    {
        var micros = Math.Max(0, (long)latency.TotalMicroseconds);
        Interlocked.Increment(ref _counts[Index(micros)]);
        Interlocked.Increment(ref _total);
        var max = Interlocked.Read(ref _maxMicros);
        while (micros > max)
        {
            var seen = Interlocked.CompareExchange(ref _maxMicros, micros, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }
    }

    /// <summary>The latency below which <paramref name="quantile"/> (0 to 1) of the values lie: the upper edge of its bucket, at most the maximum.</summary>
    public TimeSpan Percentile(double quantile)
    {
        var total = Count;
        if (total == 0)
        {
            return TimeSpan.Zero;
        }

        var rank = (long)Math.Ceiling(Math.Clamp(quantile, 0, 1) * total);
        rank = Math.Max(1, rank);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return TimeSpan.FromMicroseconds(Math.Min(UpperEdge(i), Interlocked.Read(ref _maxMicros)));
            }
        }

        return Max;
    }

    private static int Index(long micros)
    {
        if (micros < SubBuckets)
        {
            return (int)micros;
        }

        // Bucket by the top bit (the power) and the next four bits (the sub-bucket).
        var power = 63 - (int)long.LeadingZeroCount(micros);
        var sub = (int)((micros >> (power - 4)) & (SubBuckets - 1));
        var index = ((power - 3) * SubBuckets) + sub;
        return Math.Min(index, (Powers * SubBuckets) - 1);
    }

    private static long UpperEdge(int index)
    {
        if (index < SubBuckets)
        {
            return index;
        }

        var power = (index / SubBuckets) + 3;
        var sub = index % SubBuckets;
        return ((long)(SubBuckets + sub + 1) << (power - 4)) - 1;
    }
}
