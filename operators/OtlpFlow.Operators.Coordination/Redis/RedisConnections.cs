using StackExchange.Redis;

namespace OtlpFlow.Operators.Coordination.Redis;

/// <summary>Connects to Redis the way the coordination operators need it.</summary>
public static class RedisConnections
{
    /// <summary>
    /// Connects without failing when Redis is down (it keeps reconnecting in the background), and
    /// makes commands fail at once while disconnected instead of queueing them: callers then use
    /// their local fallback rather than wait.
    /// </summary>
    public static async Task<IConnectionMultiplexer> ConnectAsync(string connection, TimeSpan timeout)
    {
        ArgumentException.ThrowIfNullOrEmpty(connection);
        var options = ConfigurationOptions.Parse(connection);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ConnectTimeout = (int)Math.Max(100, timeout.TotalMilliseconds * 4);
        options.AsyncTimeout = (int)Math.Max(100, timeout.TotalMilliseconds);
        options.SyncTimeout = options.AsyncTimeout;
        options.ReconnectRetryPolicy = new LinearRetry(250);
        return await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
    }
}
