using System.Globalization;
using OtlpFlow.Engine.Testing;
using StackExchange.Redis;

namespace OtlpFlow.Operators.Coordination.Tests.Limiting;

/// <summary>
/// Redis's own clock (<c>TIME</c>), the one the distributed limiter decides by, so that a measured
/// rate needs no client clock.
/// </summary>
internal static class RedisClock
{
    // Redis's time and the limit's theoretical arrival time (what DistributedRateLimiter keeps in
    // the key, in microseconds), read in one step.
    private const string ReadLimit = """
        local t = redis.call('TIME')
        return { t[1], t[2], redis.call('GET', KEYS[1]) or '0' }
        """;

    /// <summary>Redis's time in microseconds since the Unix epoch.</summary>
    public static async Task<long> MicrosAsync(IConnectionMultiplexer connection)
    {
        var time = (RedisResult[])(await connection.GetDatabase().ExecuteAsync("TIME"))!;
        return ((long)time[0] * 1_000_000) + (long)time[1];
    }

    /// <summary>
    /// Reads <paramref name="count"/> at a moment when the limit in <paramref name="key"/> is
    /// saturated, and dates it by Redis's clock.
    /// </summary>
    /// <remarks>
    /// Saturated means that the limit's theoretical arrival time is at least
    /// <paramref name="saturatedAhead"/> ahead of Redis's time: the callers have used the limit's
    /// credit up to that margin, so they are asking for more than it gives. Between two such moments
    /// the limit has admitted its rate times the time between them, give or take the margin's
    /// difference, whatever the callers did in between; a moment when the test process was stalled
    /// and the callers had fallen behind is skipped and the reading taken again. The count is read
    /// between two reads of the limit; a pair further apart than <paramref name="precision"/> (the
    /// test thread was descheduled in between) is thrown away too.
    /// </remarks>
    public static async Task<(long Micros, long Count)> SampleSaturatedAsync(
        IConnectionMultiplexer connection, string key, TimeSpan saturatedAhead, Func<long> count, TimeSpan precision)
    {
        var limit = (long)precision.TotalMicroseconds;
        var ahead = saturatedAhead.TotalMicroseconds;
        (long Micros, long Count) sample = default;
        await Poll.UntilAsync(
            async () =>
            {
                var (before, aheadBefore) = await ReadLimitAsync(connection, key);
                var value = count();
                var (after, aheadAfter) = await ReadLimitAsync(connection, key);
                sample = ((before + after) / 2, value);
                return after - before <= limit && aheadBefore >= ahead && aheadAfter >= ahead;
            },
            $"the limit '{key}' to be saturated ({saturatedAhead.TotalMilliseconds:F0}ms ahead of Redis time)",
            TimeSpan.FromSeconds(20));
        return sample;
    }

    private static async Task<(long Micros, double Ahead)> ReadLimitAsync(IConnectionMultiplexer connection, string key)
    {
        var result = (RedisResult[])(await connection.GetDatabase().ScriptEvaluateAsync(ReadLimit, [key]))!;
        var now = ((long)result[0] * 1_000_000) + (long)result[1];
        var tat = double.Parse((string)result[2]!, CultureInfo.InvariantCulture);
        return (now, tat - now);
    }
}
