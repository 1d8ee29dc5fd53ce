namespace OtlpFlow.Operators.Resilience;

/// <summary>What to do after a failed attempt: retry after <see cref="Delay"/>, or stop for <see cref="Stop"/>.</summary>
/// <param name="Retry">True to try again.</param>
/// <param name="Delay">The wait before the next attempt (zero when stopping).</param>
/// <param name="Stop">Why to stop (meaningless when retrying).</param>
internal readonly record struct RetryDecision(bool Retry, TimeSpan Delay, RetryStop Stop);
