namespace OtlpFlow.Operators.Flow;

/// <summary>
/// A leaky bucket used as a meter with a queue: admitted permits join a queue that drains at
/// <see cref="Rate"/> per second, and a request is admitted while the queue holds at most
/// <see cref="Capacity"/> permits. Unlike a token bucket it lets no burst through: an admitted
/// request is told how long to wait for its turn, so the output never exceeds the rate. Lock-free
/// and allocation-free: the state is one number, the moment the queue will be empty.
/// </summary>
internal sealed class LeakyBucketLimiter : IPermitLimiter
{
    private readonly LimiterClock _clock;
    private readonly double _capacitySeconds;
    private readonly double _epsilon;

    // Seconds since creation (as double bits) at which everything admitted so far has drained.
    private long _drainedAtBits;

    /// <summary>Creates an empty bucket.</summary>
    /// <param name="rate">Permits drained per second; positive.</param>
    /// <param name="capacity">Most permits queued at once; positive.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    public LeakyBucketLimiter(double rate, double capacity, TimeProvider? timeProvider = null)
    {
        if (!(rate > 0) || double.IsInfinity(rate)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "The rate must be a positive number of permits per second.");
        if (!(capacity > 0) || double.IsInfinity(capacity)) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The capacity must be a positive number of permits.");
        Rate = rate;
        Capacity = capacity;
        _clock = new LimiterClock(timeProvider ?? TimeProvider.System);
        _capacitySeconds = capacity / rate;
        _epsilon = 1e-6 / rate;
        _drainedAtBits = BitConverter.DoubleToInt64Bits(0);
    }

    /// <summary>Permits drained per second.</summary>
    public double Rate { get; }

    /// <summary>Most permits queued at once.</summary>
    public double Capacity { get; }

    /// <summary>Permits queued now (not yet drained).</summary>
    public long Queued
    {
        get
        {
            var queued = BitConverter.Int64BitsToDouble(Volatile.Read(ref _drainedAtBits)) - _clock.Seconds;
            return queued <= 0 ? 0 : (long)Math.Ceiling((queued * Rate) - 1e-6);
        }
    }

    /// <inheritdoc />
    public long AvailablePermits
    {
        get
        {
            var queued = Math.Max(0, BitConverter.Int64BitsToDouble(Volatile.Read(ref _drainedAtBits)) - _clock.Seconds);
            var room = _capacitySeconds - queued;
            return room <= 0 ? 0 : (long)Math.Floor((room + _epsilon) * Rate);
        }
    }

    /// <inheritdoc />
    /// <remarks>When admitted, <paramref name="delay"/> is the time until the permits' turn to leave the queue.</remarks>
    public bool TryAcquire(long permits, out TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(permits);
        var cost = permits / Rate;
        while (true)
        {
            var oldBits = Volatile.Read(ref _drainedAtBits);
            var drainedAt = BitConverter.Int64BitsToDouble(oldBits);
            var now = _clock.Seconds;
            var start = Math.Max(drainedAt, now);
            var queued = start - now;

            // An empty queue takes any request, even one larger than the capacity.
            if (queued > _epsilon && queued + cost > _capacitySeconds + _epsilon)
            {
                delay = LimiterClock.Wait(Math.Min(queued, queued + cost - _capacitySeconds));
                return false;
            }

            if (permits == 0)
            {
                delay = TimeSpan.Zero;
                return true;
            }

            var next = BitConverter.DoubleToInt64Bits(start + cost);
            if (Interlocked.CompareExchange(ref _drainedAtBits, next, oldBits) == oldBits)
            {
                delay = LimiterClock.Wait(queued);
                return true;
            }
        }
    }
}
