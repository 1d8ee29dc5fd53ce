namespace OtlpFlow.Operators.Flow;

/// <summary>
/// A rate limiter core: thread-safe, lock-free and allocation-free per call. Permits are whatever
/// the caller counts (items, bytes, batches).
/// </summary>
internal interface IPermitLimiter
{
    /// <summary>
    /// Tries to take <paramref name="permits"/>. When it returns true they are taken and
    /// <paramref name="delay"/> is how long to hold the data before passing it on (zero for limiters
    /// that do not queue). When it returns false nothing was taken and <paramref name="delay"/> is
    /// how long until the request could succeed, if nothing else takes permits in between.
    /// A request larger than the limiter's whole capacity succeeds only when the limiter is idle.
    /// </summary>
    bool TryAcquire(long permits, out TimeSpan delay);

    /// <summary>Permits that a request could take right now (0 when none).</summary>
    long AvailablePermits { get; }
}
