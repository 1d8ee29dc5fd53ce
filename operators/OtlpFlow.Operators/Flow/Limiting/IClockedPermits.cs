namespace OtlpFlow.Operators.Flow;

/// <summary>A limiter's own decision, with a clock read: what a <see cref="PermitReserve"/> refills from.</summary>
internal interface IClockedPermits
{
    /// <summary>Takes <paramref name="permits"/> from the limiter proper, as <see cref="IPermitLimiter.TryAcquire"/> describes.</summary>
    bool TryTakeClocked(long permits, out TimeSpan delay);
}
