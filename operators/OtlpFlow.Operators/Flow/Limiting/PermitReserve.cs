namespace OtlpFlow.Operators.Flow;

/// <summary>
/// The top slice of a fast limiter, handed out without reading the clock. Reading the clock costs
/// more than the rest of an acquire, so a limiter keeps a few permits (a millisecond of its rate,
/// at most a 64th of its capacity) aside: a small request takes from them with one compare-and-swap,
/// and a request that reads the clock anyway tops them up from the limiter. The limiter itself is
/// sized to its capacity less the slice, so the two together never admit more than the capacity in
/// any period the limiter bounds; the price is that a limiter whose slice was spent holds up to a
/// millisecond of its rate less until the next refill.
/// </summary>
internal sealed class PermitReserve
{
    private long _permits;
    private int _refilling;

    private PermitReserve(long slice)
    {
        Slice = slice;
        _permits = slice;
    }

    /// <summary>The slice: the most the reserve holds.</summary>
    public long Slice { get; }

    /// <summary>Permits in the reserve now.</summary>
    public long Count => Volatile.Read(ref _permits);

    /// <summary>
    /// A reserve for a limiter of <paramref name="capacity"/> permits refilling at
    /// <paramref name="perSecond"/>; null when a millisecond of the rate is under 16 permits (a slow
    /// limiter gains nothing from it, and stays exact).
    /// </summary>
    public static PermitReserve? For(double capacity, double perSecond)
    {
        var slice = Math.Floor(Math.Min(capacity / 64, perSecond / 1000));
        return slice >= 16 && slice < long.MaxValue / 4 ? new PermitReserve((long)slice) : null;
    }

    /// <summary>Takes <paramref name="permits"/> from the reserve if it holds them; never waits, never reads the clock.</summary>
    public bool TryTake(long permits)
    {
        if (permits > Slice)
        {
            return false;
        }

        var have = Volatile.Read(ref _permits);
        while (have >= permits)
        {
            var seen = Interlocked.CompareExchange(ref _permits, have - permits, have);
            if (seen == have)
            {
                return true;
            }

            have = seen;
        }

        return false;
    }

    /// <summary>
    /// The slow path, for a request the reserve could not serve, from <paramref name="source"/>. One
    /// caller at a time also works on the reserve: a small request tops it up to its slice (when the
    /// request and the top-up fit in <paramref name="sourceCapacity"/>: never as debt), a large one
    /// counts what it holds towards the request. Only that caller adds to the reserve and takers only
    /// lower it, so the reserve never holds more than its slice, and nothing is ever dropped.
    /// </summary>
    public bool TryAcquire(IClockedPermits source, long permits, double sourceCapacity, out TimeSpan delay)
    {
        if (Interlocked.CompareExchange(ref _refilling, 1, 0) == 0)
        {
            try
            {
                if (permits <= Slice)
                {
                    var missing = Slice - Volatile.Read(ref _permits);
                    if (missing > 0 && permits + missing <= sourceCapacity && source.TryTakeClocked(permits + missing, out _))
                    {
                        Interlocked.Add(ref _permits, missing);
                        delay = TimeSpan.Zero;
                        return true;
                    }
                }
                else
                {
                    var have = Interlocked.Exchange(ref _permits, 0);
                    if (source.TryTakeClocked(permits - have, out delay))
                    {
                        return true;
                    }

                    Interlocked.Add(ref _permits, have);
                    return false;
                }
            }
            finally
            {
                Volatile.Write(ref _refilling, 0);
            }
        }

        return source.TryTakeClocked(permits, out delay);
    }
}
