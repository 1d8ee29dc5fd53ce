using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Coordination.Limiting;
using OtlpFlow.Operators.Coordination.Redis;
using OtlpFlow.Operators.Coordination.Tests.Servers;
using OtlpFlow.Operators.Flow;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace OtlpFlow.Operators.Coordination.Tests.Limiting;

[Collection(ServersCollection.Name)]
public sealed class DistributedRateLimiterTests(ServersFixture servers, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private const int Batch = 250;

    [RedisFact]
    public async Task Three_instances_together_admit_the_cluster_rate_within_ten_percent()
    {
        const double rate = 10_000;
        const double burst = 15_000;
        var window = TimeSpan.FromSeconds(3);
        var key = "test:limit:" + Guid.NewGuid().ToString("N");
        var connections = new List<IConnectionMultiplexer>();
        for (var i = 0; i < 3; i++)
        {
            connections.Add(await RedisConnections.ConnectAsync(servers.Redis.Connection, Timeout));
        }

        try
        {
            var limiters = connections.Select(c => new DistributedRateLimiter(c, key, rate, burst, new TokenBucketLimiter(1, 1), Timeout)).ToArray();
            var decisions = new System.Collections.Concurrent.ConcurrentQueue<LimitDecision>();

            // Three instances with four callers each keep asking for batches, waiting when refused
            // for as long as the limiter says, as the operator does. Every decision carries Redis's
            // time, so everything is measured on the limiter's own clock.
            var started = await RedisClock.MicrosAsync(connections[0]);
            var end = started + (long)TimeSpan.FromSeconds(5).TotalMicroseconds;
            var callers = limiters.SelectMany(limiter => Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                while (true)
                {
                    var decision = await limiter.TryAcquireAsync(Batch);
                    decisions.Enqueue(decision);
                    if (!decision.Shared || decision.RedisMicroseconds > end)
                    {
                        return;
                    }

                    if (!decision.Acquired)
                    {
                        await Task.Delay(decision.RetryAfter);
                    }
                }
            }))).ToArray();
            await Task.WhenAll(callers);

            Assert.All(decisions, d => Assert.True(d.Shared));
            var times = decisions.Where(d => d.Acquired).Select(d => d.RedisMicroseconds).Order().ToArray();
            var refusals = decisions.Where(d => !d.Acquired).Select(d => d.RedisMicroseconds).Order().ToArray();

            // Over the whole run the limit is never exceeded: at most the burst plus the rate.
            var admitted = (long)times.Length * Batch;
            var elapsed = (times[^1] - times[0]) / 1e6;
            var allowed = (rate * elapsed) + burst;
            Assert.True(admitted <= allowed + Batch, $"admitted {admitted} items in {elapsed:F3}s of Redis time, more than the limit allows ({allowed:F0})");

            // The window opens and closes at refusals, half a second in (the burst is long spent):
            // at a refusal the limit's credit is less than one batch, so between the two the limit
            // owes exactly its rate, within a batch. A stall of the callers inside the window (this
            // machine stalls the test process for up to a second when it is loaded) costs nothing
            // while the burst covers it: they catch up as a real instance would.
            var from = refusals.FirstOrDefault(t => t >= started + 500_000);
            var to = refusals.FirstOrDefault(t => t >= from + (long)window.TotalMicroseconds);
            Assert.True(from > 0 && to > 0, "the callers never saturated the limit at the start or the end of the window");
            var seconds = (to - from) / 1e6;
            var inWindow = times.Count(t => t > from && t <= to) * (long)Batch;
            var expected = rate * seconds;
            output.WriteLine($"window: {inWindow} items in {seconds:F3}s of Redis time ({inWindow / expected:P1} of the rate); whole run: {admitted} in {elapsed:F3}s ({admitted / allowed:P1} of rate x time + burst)");
            Assert.True(Math.Abs(inWindow - expected) <= expected * 0.1, $"admitted {inWindow} items in {seconds:F3}s of Redis time: not within 10% of {expected:F0}");
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
        // Redis calls may take 2 s before the local limit decides: with 250 ms, a CI run saw the
        // fallback decide the call right after the shared limit came back (a just restarted server
        // on a busy machine can answer that slowly).
        await using var connection = await RedisConnections.ConnectAsync(redis.Connection, TimeSpan.FromSeconds(2));
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var local = new TokenBucketLimiter(100, 100, time);
        var limiter = new DistributedRateLimiter(connection, "test:fallback", 1_000_000, 1_000_000, local, TimeSpan.FromSeconds(2));

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
