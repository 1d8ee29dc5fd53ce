namespace OtlpFlow.Operators.Flow;

/// <summary>
/// A token bucket: holds up to <see cref="Burst"/> permits and refills at <see cref="Rate"/> per
/// second. Lock-free and allocation-free: the whole state is one number, the moment at which the
/// bucket was (virtually) empty, updated by compare-and-swap (the generic cell rate algorithm), so
/// concurrent callers never take more than <c>burst + rate × elapsed</c> in total.
/// </summary>
/// <remarks>
/// A fast bucket (a millisecond of its rate at least 16 permits) serves small requests from a
/// <see cref="PermitReserve"/> without reading the clock; the bucket proper holds the burst less
/// that slice, so the two together never pass <c>burst + rate × elapsed</c>.
/// </remarks>
internal sealed class TokenBucketLimiter : IPermitLimiter, IClockedPermits
{
    private readonly LimiterClock _clock;
    private readonly double _fillSeconds;
    private readonly double _epsilon;
    private readonly PermitReserve? _reserve;

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
        _reserve = PermitReserve.For(burst, rate);

        // The bucket proper holds the burst less the reserve's slice.
        _fillSeconds = (burst - (_reserve?.Slice ?? 0)) / rate;

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
            return (_reserve?.Count ?? 0) + (seconds <= 0 ? 0 : (long)Math.Floor((seconds + _epsilon) * Rate));
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

        if (_reserve is null)
        {
            return TryTakeClocked(permits, out delay);
        }

        return _reserve.TryTake(permits) || _reserve.TryAcquire(this, permits, Burst - _reserve.Slice, out delay);
    }

    /// <inheritdoc />
    bool IClockedPermits.TryTakeClocked(long permits, out TimeSpan delay) => TryTakeClocked(permits, out delay);

    private bool TryTakeClocked(long permits, out TimeSpan delay)
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
