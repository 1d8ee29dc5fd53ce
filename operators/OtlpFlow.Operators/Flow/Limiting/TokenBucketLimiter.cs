namespace OtlpFlow.Operators.Flow;

/// <summary>
/// A token bucket: holds up to <see cref="Burst"/> permits and refills at <see cref="Rate"/> per
/// second. Lock-free and allocation-free: the whole state is one number, the moment at which the
/// bucket was (virtually) empty, updated by compare-and-swap (the generic cell rate algorithm), so
/// concurrent callers never take more than <c>burst + rate × elapsed</c> in total.
/// </summary>
/// <remarks>
/// Reading the clock costs more than the rest of an acquire, so a fast bucket (a millisecond of its
/// rate at least 16 permits) serves small requests from a reserve: a millisecond of the rate (at most
/// a 64th of the burst), the top slice of the bucket, refilled from the rest by a request that reads
/// the clock anyway. Taking from the reserve is one compare-and-swap and no clock read. The slice and
/// the rest together never hold more than the burst, so nothing is ever admitted past
/// <c>burst + rate × elapsed</c>; the price is that after an idle spell a bucket whose reserve was
/// spent holds up to a millisecond of its rate less than the burst until the reserve is refilled.
/// </remarks>
public sealed class TokenBucketLimiter : IPermitLimiter
{
    private readonly LimiterClock _clock;
    private readonly double _fillSeconds;
    private readonly double _epsilon;
    private readonly long _chunk;

    // The reserve: permits of the bucket's top slice, handed out without reading the clock.
    private long _reserve;

    // Seconds since creation (as double bits) at which the bucket held no tokens. Tokens now are
    // (now - emptyAt) * rate, capped at burst. Negative tokens (emptyAt in the future) are debt
    // left by a request larger than the bucket.
    private long _emptyAtBits;

    /// <summary>Creates a full bucket.</summary>
    /// <param name="rate">Permits added per second; positive.</param>
    /// <param name="burst">Most permits held at once; positive.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    public TokenBucketLimiter(double rate, double burst, TimeProvider? timeProvider = null)
    {
        if (!(rate > 0) || double.IsInfinity(rate)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "The rate must be a positive number of permits per second.");
        if (!(burst > 0) || double.IsInfinity(burst)) throw new ArgumentOutOfRangeException(nameof(burst), burst, "The burst must be a positive number of permits.");
        Rate = rate;
        Burst = burst;
        _clock = new LimiterClock(timeProvider ?? TimeProvider.System);
        var chunk = Math.Floor(Math.Min(burst / 64, rate / 1000));
        _chunk = chunk >= 16 && chunk < long.MaxValue / 4 ? (long)chunk : 0;
        _reserve = _chunk;

        // The clock-read part of the bucket holds the burst less the reserve's slice.
        _fillSeconds = (burst - _chunk) / rate;

        // Tolerates rounding in the floating-point state (a millionth of a permit), never a whole permit.
        _epsilon = 1e-6 / rate;
        _emptyAtBits = BitConverter.DoubleToInt64Bits(-_fillSeconds);
    }

    /// <summary>Permits added per second.</summary>
    public double Rate { get; }

    /// <summary>Most permits held at once.</summary>
    public double Burst { get; }

    /// <inheritdoc />
    public long AvailablePermits
    {
        get
        {
            var now = _clock.Seconds;
            var emptyAt = BitConverter.Int64BitsToDouble(Volatile.Read(ref _emptyAtBits));
            var seconds = now - Math.Max(emptyAt, now - _fillSeconds);
            return Volatile.Read(ref _reserve) + (seconds <= 0 ? 0 : (long)Math.Floor((seconds + _epsilon) * Rate));
        }
    }

    /// <summary>Tries to take <paramref name="permits"/> now.</summary>
    public bool TryAcquire(long permits = 1) => TryAcquire(permits, out _);

    /// <inheritdoc />
    public bool TryAcquire(long permits, out TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(permits);
        delay = TimeSpan.Zero;
        if (permits == 0)
        {
            return true;
        }

        if (permits <= _chunk)
        {
            var have = Volatile.Read(ref _reserve);
            while (have >= permits)
            {
                var seen = Interlocked.CompareExchange(ref _reserve, have - permits, have);
                if (seen == have)
                {
                    return true;
                }

                have = seen;
            }
        }

        return _chunk == 0 ? TryTakeFromBucket(permits, out delay) : TryAcquireWithReserve(permits, out delay);
    }

    private bool TryAcquireWithReserve(long permits, out TimeSpan delay)
    {
        // What is left in the reserve counts towards this request; the rest comes from the bucket,
        // with the reserve refilled when the bucket has it to spare (never as debt).
        var have = Interlocked.Exchange(ref _reserve, 0);
        if (have >= permits)
        {
            Refill(have - permits);
            delay = TimeSpan.Zero;
            return true;
        }

        var need = permits - have;
        if (need + _chunk <= Burst - _chunk && TryTakeFromBucket(need + _chunk, out _))
        {
            Refill(_chunk);
            delay = TimeSpan.Zero;
            return true;
        }

        if (TryTakeFromBucket(need, out delay))
        {
            return true;
        }

        Refill(have);
        return false;
    }

    // Never above the slice: with racing refills the surplus is dropped (a few permits admitted
    // late) rather than letting the bucket and the reserve together exceed the burst.
    private void Refill(long permits)
    {
        var current = Volatile.Read(ref _reserve);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref _reserve, Math.Min(_chunk, current + permits), current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private bool TryTakeFromBucket(long permits, out TimeSpan delay)
    {
        delay = TimeSpan.Zero;
        var cost = permits / Rate;

        // A request larger than the bucket needs a full bucket and leaves debt behind it.
        var need = Math.Min(cost, _fillSeconds);
        while (true)
        {
            var oldBits = Volatile.Read(ref _emptyAtBits);
            var emptyAt = BitConverter.Int64BitsToDouble(oldBits);
            var now = _clock.Seconds;

            var effective = Math.Max(emptyAt, now - _fillSeconds);
            var available = now - effective;
            if (available + _epsilon < need)
            {
                delay = LimiterClock.Wait(need - available);
                return false;
            }

            var next = BitConverter.DoubleToInt64Bits(effective + cost);
            if (Interlocked.CompareExchange(ref _emptyAtBits, next, oldBits) == oldBits)
            {
                return true;
            }
        }
    }
}
