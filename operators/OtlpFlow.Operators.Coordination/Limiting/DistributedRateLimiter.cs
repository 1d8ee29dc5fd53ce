using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OtlpFlow.Operators.Flow;
using StackExchange.Redis;

namespace OtlpFlow.Operators.Coordination.Limiting;

/// <summary>
/// A cluster-wide rate limit kept in Redis with GCRA (the generic cell rate algorithm): one key
/// holds the theoretical arrival time, and one Lua script call per request, timed by Redis's own
/// clock, decides and updates it, so every instance shares one limit whatever their clocks say.
/// While Redis is unreachable (or slower than the timeout) a local limiter decides instead; the
/// shared limit is used again as soon as a call succeeds.
/// </summary>
internal sealed partial class DistributedRateLimiter
{
    // KEYS[1]: the key. ARGV[1]: microseconds per unit; ARGV[2]: burst in microseconds; ARGV[3]: units.
    // Returns { admitted (1/0), microseconds to wait when refused, Redis time in microseconds }.
    // Times are kept in microseconds as doubles: exact to well under a microsecond at today's epoch.
    private const string Script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
        local tat = stored
        if tat < now then tat = now end
        local increment = tonumber(ARGV[1]) * tonumber(ARGV[3])
        local newTat = tat + increment
        local allowAt = newTat - tonumber(ARGV[2])
        -- A request larger than the whole burst passes only when the limit is idle.
        if allowAt <= now or (stored <= now and increment > tonumber(ARGV[2])) then
          redis.call('SET', KEYS[1], string.format('%.3f', newTat), 'PX', math.ceil((newTat - now) / 1000) + 1000)
          return { 1, 0, string.format('%.0f', now) }
        end
        return { 0, string.format('%.0f', allowAt - now), string.format('%.0f', now) }
        """;

    private readonly IConnectionMultiplexer? _redis;
    private readonly RedisKey _key;
    private readonly RedisValue _microsPerUnit;
    private readonly RedisValue _burstMicros;
    private readonly IPermitLimiter _local;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;
    private int _shared = 1;

    /// <summary>Creates the limiter.</summary>
    /// <param name="redis">The Redis connection; null to use only the local limit.</param>
    /// <param name="key">The Redis key of the shared limit: instances with the same key share it.</param>
    /// <param name="rate">Units per second for the whole cluster.</param>
    /// <param name="burst">Most units admitted at once after a quiet spell.</param>
    /// <param name="local">What decides while Redis is unreachable.</param>
    /// <param name="timeout">The longest a Redis call may take before the local limit decides.</param>
    /// <param name="logger">Where mode changes are logged.</param>
    public DistributedRateLimiter(IConnectionMultiplexer? redis, string key, double rate, double burst, IPermitLimiter local, TimeSpan timeout, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(local);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burst);
        _redis = redis;
        _key = key;
        var microsPerUnit = 1_000_000d / rate;
        _microsPerUnit = microsPerUnit.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        _burstMicros = (burst * microsPerUnit).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        _local = local;
        _timeout = timeout;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>True while the shared limit decides; false while the local fallback does.</summary>
    public bool IsShared => Volatile.Read(ref _shared) == 1;

    /// <summary>Tries to take <paramref name="permits"/> from the shared limit, or the local one while Redis is away. Never throws for Redis failures.</summary>
    public async ValueTask<LimitDecision> TryAcquireAsync(long permits, CancellationToken cancellationToken = default)
    {
        if (_redis is not null && _redis.IsConnected)
        {
            try
            {
                var result = (RedisResult[]?)await _redis.GetDatabase()
                    .ScriptEvaluateAsync(Script, [_key], [_microsPerUnit, _burstMicros, permits])
                    .WaitAsync(_timeout, cancellationToken).ConfigureAwait(false);
                if (result is { Length: 3 })
                {
                    SetShared(true, null);
                    var at = (long)result[2];
                    return (long)result[0] == 1
                        ? new LimitDecision(true, TimeSpan.Zero, true, at)
                        : new LimitDecision(false, TimeSpan.FromTicks(Math.Max(1, (long)result[1] * 10)), true, at);
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                SetShared(false, ex.Message);
            }
        }
        else
        {
            SetShared(false, _redis is null ? "no Redis connection configured" : "Redis is not connected");
        }

        var acquired = _local.TryAcquire(permits, out var delay);
        return new LimitDecision(acquired, acquired ? TimeSpan.Zero : delay, false);
    }

    private void SetShared(bool shared, string? reason)
    {
        if (Interlocked.Exchange(ref _shared, shared ? 1 : 0) == (shared ? 1 : 0))
        {
            return;
        }

        if (shared)
        {
            LogShared(_logger, _key.ToString());
        }
        else
        {
            LogLocal(_logger, _key.ToString(), reason ?? "unknown");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "limit '{Key}': Redis answers again; back to the shared cluster limit")]
    private static partial void LogShared(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "limit '{Key}': Redis is unreachable ({Reason}); using the local fallback limit")]
    private static partial void LogLocal(ILogger logger, string key, string reason);
}
