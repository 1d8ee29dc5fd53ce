using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Coordination.Limiting;
using OtlpFlow.Operators.Coordination.Redis;
using OtlpFlow.Operators.Coordination.Tests.Servers;
using OtlpFlow.Operators.Flow;
using StackExchange.Redis;

namespace OtlpFlow.Operators.Coordination.Tests.Limiting;

[Collection(ServersCollection.Name)]
public sealed class DistributedRateLimiterTests(ServersFixture servers)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private const int Batch = 250;
    private const int PerCaller = 3000;

    [RedisFact]
    public async Task Three_instances_together_admit_the_cluster_rate_within_ten_percent()
    {
        const double rate = 10_000;
        const double burst = 2500;
        var key = "test:limit:" + Guid.NewGuid().ToString("N");
        var connections = new List<IConnectionMultiplexer>();
        for (var i = 0; i < 3; i++)
        {
            connections.Add(await RedisConnections.ConnectAsync(servers.Redis.Connection, Timeout));
        }

        try
        {
            var limiters = connections.Select(c => new DistributedRateLimiter(c, key, rate, burst, new TokenBucketLimiter(1, 1), Timeout)).ToArray();
            var admissions = new System.Collections.Concurrent.ConcurrentBag<long>();
            var local = 0L;

            // Each instance has four callers that each must get 3000 items through, asking again when
            // refused: a fixed demand of 36000 items. Every admission carries Redis's time, so the
            // accounting needs no client clock: after the first admission, the rest must take
            // (36000 - burst) / rate seconds of Redis time.
            var callers = limiters.SelectMany(limiter => Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                for (var got = 0; got < PerCaller;)
                {
                    var decision = await limiter.TryAcquireAsync(Batch);
                    if (!decision.Shared)
                    {
                        Interlocked.Increment(ref local);
                    }

                    if (decision.Acquired)
                    {
                        got += Batch;
                        admissions.Add(decision.RedisMicroseconds);
                    }
                    else
                    {
                        // Ask again soon rather than exactly when told: a caller that oversleeps on
                        // a busy machine must not make the cluster look slower than its limit.
                        await Task.Delay(decision.RetryAfter < TimeSpan.FromMilliseconds(5) ? decision.RetryAfter : TimeSpan.FromMilliseconds(5));
                    }
                }
            }))).ToArray();
            await Task.WhenAll(callers);

            Assert.Equal(0, local);
            var times = admissions.Order().ToArray();
            var admitted = (long)times.Length * Batch;
            Assert.Equal(12 * PerCaller, admitted);
            var elapsed = (times[^1] - times[0]) / 1e6;
            var allowed = (rate * elapsed) + burst;
            Assert.True(admitted <= allowed + Batch, $"admitted {admitted} items in {elapsed:F3}s of Redis time, more than the limit allows ({allowed:F0})");

            // A pause of every caller (a GC, a starved thread pool on a busy machine) longer than the
            // burst covers is idleness of the callers, not of the limit: its excess is not counted.
            var gaps = times.Zip(times.Skip(1), (a, b) => (b - a) / 1e6).ToArray();
            var burstSeconds = burst / rate;
            var stalled = gaps.Sum(g => Math.Max(0, g - burstSeconds));
            var busy = (rate * (elapsed - stalled)) + burst;
            Assert.True(admitted >= busy * 0.9, $"admitted {admitted} items in {elapsed:F3}s of Redis time ({stalled:F3}s of it stalled callers): below 90% of the rate ({busy:F0})");
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [RedisFact]
    public async Task Stopping_redis_falls_back_to_the_local_limit_without_errors_and_restarting_restores_the_shared_limit()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await using var connection = await RedisConnections.ConnectAsync(redis.Connection, TimeSpan.FromMilliseconds(250));
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var local = new TokenBucketLimiter(100, 100, time);
        var limiter = new DistributedRateLimiter(connection, "test:fallback", 1_000_000, 1_000_000, local, TimeSpan.FromMilliseconds(250));

        var shared = await limiter.TryAcquireAsync(5000);
        Assert.True(shared.Shared);
        Assert.True(shared.Acquired);

        await redis.KillAsync();

        // While Redis is gone the local bucket decides (100 at once here), and no call throws.
        var decisions = new List<LimitDecision>();
        for (var i = 0; i < 3; i++)
        {
            decisions.Add(await limiter.TryAcquireAsync(40));
        }

        Assert.All(decisions, d => Assert.False(d.Shared));
        Assert.Equal([true, true, false], decisions.Select(d => d.Acquired));
        Assert.False(limiter.IsShared);

        await redis.StartAsync();
        await Poll.UntilAsync(async () => (await limiter.TryAcquireAsync(1)).Shared, "the shared limit to come back after Redis restarted");

        Assert.True(limiter.IsShared);
        var back = await limiter.TryAcquireAsync(5000);
        Assert.True(back.Shared);
        Assert.True(back.Acquired);
    }
}
