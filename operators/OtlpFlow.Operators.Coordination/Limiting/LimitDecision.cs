namespace OtlpFlow.Operators.Coordination.Limiting;

/// <summary>What a <see cref="DistributedRateLimiter"/> answered for one request.</summary>
/// <param name="Acquired">True when the permits were taken.</param>
/// <param name="RetryAfter">When refused: how long until the request could succeed.</param>
/// <param name="Shared">True when the cluster-wide limit in Redis decided; false for the local fallback.</param>
/// <param name="RedisMicroseconds">When the shared limit decided, by Redis's clock (microseconds since the Unix epoch); 0 for the local fallback. For accounting across instances.</param>
internal readonly record struct LimitDecision(bool Acquired, TimeSpan RetryAfter, bool Shared, long RedisMicroseconds = 0);
