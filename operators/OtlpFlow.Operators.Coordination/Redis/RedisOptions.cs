namespace OtlpFlow.Operators.Coordination.Redis;

/// <summary>The <c>"redis"</c> part of a pipeline's <c>"coordination"</c> section.</summary>
public sealed class RedisOptions
{
    /// <summary>A StackExchange.Redis configuration string (<c>127.0.0.1:6379</c>, or <c>host:port,password=...</c>). Required.</summary>
    public string Connection { get; set; } = string.Empty;

    /// <summary>
    /// The longest one Redis call may take before the caller falls back to its local behaviour
    /// (the local limit, the local breaker). Default <c>250ms</c>.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMilliseconds(250);
}
