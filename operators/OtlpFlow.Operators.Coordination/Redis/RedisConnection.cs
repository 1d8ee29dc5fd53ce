using StackExchange.Redis;

namespace OtlpFlow.Operators.Coordination.Redis;

/// <summary>
/// The pipeline's shared Redis connection (the <c>coordination.redis</c> section), registered as a
/// service by the host; coordination operators without their own <c>redis</c> option use it.
/// </summary>
/// <param name="Multiplexer">The connection.</param>
/// <param name="Options">How it was configured.</param>
public sealed record RedisConnection(IConnectionMultiplexer Multiplexer, RedisOptions Options);
