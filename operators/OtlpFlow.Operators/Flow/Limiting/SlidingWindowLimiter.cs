namespace OtlpFlow.Operators.Flow;

/// <summary>
/// A sliding window divided into segments: at most <see cref="PermitLimit"/> permits are taken in
/// any window of <see cref="Window"/> (counted per segment, so a segment's permits return when it
/// slides out). Lock-free and allocation-free.
/// </summary>
/// <remarks>
/// Each segment slot is one 64-bit word holding the segment's lap (which pass over the ring it
/// belongs to) and its count, so a stale slot is recognised without a separate reset. Only the
/// newest segment is ever added to, by compare-and-swap, and that swap validates everything the
/// decision read: older segments cannot grow. The one race left is the window moving on while a
/// caller adds to the segment it believed newest; the caller then sees the head moved, takes its
/// permits back and retries, so a caller that has moved the head always sees every permit counted
/// (the correction can only make others refuse, never over-admit). A fast window (a millisecond of
/// its rate at least 16 permits) serves small requests from a <see cref="PermitReserve"/> without
/// reading the clock; the segments then count up to the limit less that slice, so no window ever
/// admits more than the limit.
/// </remarks>
internal sealed class SlidingWindowLimiter : IPermitLimiter, IClockedPermits
{
    private const int CountBits = 40;
    private const long CountMask = (1L << CountBits) - 1;
    private const long LapMask = (1L << (64 - CountBits)) - 1;

    private readonly LimiterClock _clock;
    private readonly long[] _slots;
    private readonly long _segmentTicks;
    private readonly int _segments;
    private readonly PermitReserve? _reserve;

    // What the segments may hold in a window: the limit less the reserve's slice.
    private readonly long _limit;
    private long _head;

    // The sum of the segments before the head, cached with the head's low bits in one word (bits
    // 40+ the head, bits 0-39 the sum). Older segments never grow, so a cached sum is exact or (after
    // an undo) too high, which can only refuse, never over-admit; a stale word from 2^24 segments
    // ago can only match when nothing was taken since, when the true sum is 0.
    private long _othersCache = -1;

    /// <summary>Creates an empty window.</summary>
    /// <param name="permitLimit">Most permits in any window; positive.</param>
    /// <param name="window">The window's length; positive.</param>
    /// <param name="segments">How many segments the window slides by; between 1 and 1000.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    public SlidingWindowLimiter(long permitLimit, TimeSpan window, int segments, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(permitLimit);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitLimit, CountMask);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(segments);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(segments, 1000);
        PermitLimit = permitLimit;
        Window = window;
        _segments = segments;
        _clock = new LimiterClock(timeProvider ?? TimeProvider.System);
        var windowTicks = (long)(window.TotalSeconds * _clock.Frequency);
        _segmentTicks = Math.Max(1, windowTicks / segments);
        _slots = new long[segments];
        _reserve = PermitReserve.For(permitLimit, permitLimit / window.TotalSeconds);
        _limit = permitLimit - (_reserve?.Slice ?? 0);
    }

    /// <summary>Most permits in any window.</summary>
    public long PermitLimit { get; }

    /// <summary>The window's length.</summary>
    public TimeSpan Window { get; }

    /// <summary>Segments per window.</summary>
    public int Segments => _segments;

    /// <inheritdoc />
    public long AvailablePermits
    {
        get
        {
            var current = Math.Max(_clock.Ticks / _segmentTicks, Volatile.Read(ref _head));
            return (_reserve?.Count ?? 0) + Math.Max(0, _limit - Sum(current, includeCurrent: true));
        }
    }

    /// <summary>Tries to take <paramref name="permits"/> now.</summary>
    public bool TryAcquire(long permits = 1) => TryAcquire(permits, out _);

    /// <inheritdoc />
    public bool TryAcquire(long permits, out TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(permits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permits, CountMask);
        delay = TimeSpan.Zero;
        if (permits == 0)
        {
            return true;
        }

        if (_reserve is null)
        {
            return TryTakeClocked(permits, out delay);
        }

        return _reserve.TryTake(permits) || _reserve.TryAcquire(this, permits, _limit, out delay);
    }

    /// <inheritdoc />
    bool IClockedPermits.TryTakeClocked(long permits, out TimeSpan delay) => TryTakeClocked(permits, out delay);

    private bool TryTakeClocked(long permits, out TimeSpan delay)
    {
        delay = TimeSpan.Zero;
        while (true)
        {
            var nowTicks = _clock.Ticks;
            var segment = nowTicks / _segmentTicks;
            var head = Volatile.Read(ref _head);
            if (segment > head)
            {
                Interlocked.CompareExchange(ref _head, segment, head);
                continue;
            }

            // A caller whose clock read is a little behind the head simply counts in the head segment.
            var current = head;
            var cache = Volatile.Read(ref _othersCache);
            long others;
            if (cache != -1 && (long)((ulong)cache >> CountBits) == (current & LapMask))
            {
                others = cache & CountMask;
            }
            else
            {
                others = Sum(current, includeCurrent: false);
                Volatile.Write(ref _othersCache, ((current & LapMask) << CountBits) | Math.Min(others, CountMask));
            }

            ref var slot = ref _slots[current % _segments];
            var old = Volatile.Read(ref slot);
            var count = Lap(old) == LapOf(current) ? old & CountMask : 0;
            var total = others + count;
            var fits = permits <= _limit ? total + permits <= _limit : total == 0;
            if (!fits)
            {
                delay = RetryAfter(current, nowTicks, total + permits - _limit, permits > _limit);
                return false;
            }

            if (Interlocked.CompareExchange(ref slot, Pack(current, count + permits), old) != old)
            {
                continue;
            }

            if (Volatile.Read(ref _head) == current)
            {
                return true;
            }

            Undo(ref slot, current, permits);
        }
    }

    private long Sum(long current, bool includeCurrent)
    {
        long sum = 0;
        var first = Math.Max(0, current - _segments + 1);
        var last = includeCurrent ? current : current - 1;
        for (var s = first; s <= last; s++)
        {
            var value = Volatile.Read(ref _slots[s % _segments]);
            if (Lap(value) == LapOf(s))
            {
                sum += value & CountMask;
            }
        }

        return sum;
    }

    /// <summary>The wait until enough old segments have slid out for <paramref name="excess"/> permits (or all of them).</summary>
    private TimeSpan RetryAfter(long current, long nowTicks, long excess, bool needEmpty)
    {
        long freed = 0;
        var first = Math.Max(0, current - _segments + 1);
        for (var s = first; s <= current; s++)
        {
            var value = Volatile.Read(ref _slots[s % _segments]);
            if (Lap(value) == LapOf(s))
            {
                freed += value & CountMask;
            }

            if ((!needEmpty && freed >= excess) || s == current)
            {
                // Segment s leaves the window when segment s + segments begins.
                var ticks = ((s + _segments) * _segmentTicks) - nowTicks;
                return LimiterClock.Wait((double)ticks / _clock.Frequency);
            }
        }

        return LimiterClock.Wait((double)_segmentTicks / _clock.Frequency);
    }

    private void Undo(ref long slot, long segment, long permits)
    {
        while (true)
        {
            var old = Volatile.Read(ref slot);
            if (Lap(old) != LapOf(segment))
            {
                return; // already slid out of the window
            }

            if (Interlocked.CompareExchange(ref slot, Pack(segment, Math.Max(0, (old & CountMask) - permits)), old) == old)
            {
                return;
            }
        }
    }

    private long LapOf(long segment) => (segment / _segments) & LapMask;

    private static long Lap(long value) => (long)((ulong)value >> CountBits);

    private long Pack(long segment, long count) => (LapOf(segment) << CountBits) | count;
}
