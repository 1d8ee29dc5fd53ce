using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Coordination.Limiting;
using OtlpFlow.Operators.Coordination.Tests.Servers;
using Xunit.Abstractions;

namespace OtlpFlow.Operators.Coordination.Tests.Limiting;

[Collection(ServersCollection.Name)]
public sealed class DistributedLimiterPipelineTests(ServersFixture servers, ITestOutputHelper output)
{
    [RedisFact]
    public async Task A_waiting_distributed_limiter_passes_every_item_and_conserves()
    {
        await using var pipeline = new PipelineBuilder(TestRegistry.Create()).Build(PipelineLoader.Parse($$"""
        { "operators": {
            "gen":   { "type": "generate", "count": 20000, "batchSize": 500 },
            "limit": { "type": "flow.distributedLimiter", "inputs": ["gen"], "rate": 100000, "burst": 5000,
                       "redis": "{{servers.Redis.Connection}}", "key": "test:pipeline:{{Guid.NewGuid():N}}" },
            "sink":  { "type": "test.sink", "inputs": ["limit"] } } }
        """));
        await pipeline.StartAsync();
        await pipeline.Completion;

        Assert.Equal(20000, ((CountingSink)pipeline.Operators["sink"]).Items);
        Assert.True(pipeline.Counters["limit"].Balanced);
        Assert.Equal(0, pipeline.Counters["limit"].Errors);
        Assert.True(((DistributedLimiterOperator)pipeline.Operators["limit"]).Limiter.IsShared);
    }

    [RedisFact]
    public async Task Three_pipelines_with_a_shared_limiter_admit_the_cluster_rate_within_ten_percent_and_deliver_everything()
    {
        const double rate = 10_000;
        const double burst = 15_000;
        const int batch = 100;
        const int perPipeline = 25_000;
        var window = TimeSpan.FromSeconds(3);
        var key = "test:three:" + Guid.NewGuid().ToString("N");
        await using var clock = await Redis.RedisConnections.ConnectAsync(servers.Redis.Connection, TimeSpan.FromSeconds(2));
        var pipelines = Enumerable.Range(0, 3).Select(_ => new PipelineBuilder(TestRegistry.Create()).Build(PipelineLoader.Parse($$"""
            { "defaults": { "capacity": 8 },
              "operators": {
                "gen":   { "type": "generate", "count": {{perPipeline}}, "batchSize": {{batch}} },
                "limit": { "type": "flow.distributedLimiter", "inputs": ["gen"], "parallelism": 4, "ordered": false, "rate": {{rate}}, "burst": {{burst}}, "onLimit": "wait",
                           "redis": "{{servers.Redis.Connection}}", "key": "{{key}}", "timeout": "2s" },
                "sink":  { "type": "test.sink", "inputs": ["limit"] } } }
            """))).ToArray();
        try
        {
            // Three instances, each offering far more than its share (75000 items in all), paced by
            // the shared limit. What the limiters passed (counted as they emit) is read at two
            // moments 3s apart on Redis's clock, the limiter's own, each when the callers had used
            // up the limit's credit to within two batches: between two such moments the limit owes
            // the rate's worth, within two batches, whatever happened in between. A stall of the
            // test process (this machine stalls it for up to a second when loaded) costs nothing
            // while the 1.5s burst covers it: the instances catch up as real ones would. What Redis
            // admitted but a caller has not yet emitted at a reading (at most one batch per caller,
            // 1200 items) is the rest of the error; small batches keep it well inside 10%. The
            // limiter is unordered: in order, a batch admitted early waits (counted as not yet out)
            // behind earlier ones still waiting for the limit, up to the capacity per instance.
            long Admitted() => pipelines.Sum(p => p.Counters["limit"].ItemsOut);
            var saturated = TimeSpan.FromSeconds((burst - (2 * batch)) / rate);
            var precision = TimeSpan.FromMilliseconds(5);
            await Task.WhenAll(pipelines.Select(p => p.StartAsync()));
            await Poll.UntilAsync(() => Admitted() >= burst, "the burst to be spent");
            var (from, before) = await RedisClock.SampleSaturatedAsync(clock, key, saturated, Admitted, precision);
            await Poll.UntilAsync(async () => await RedisClock.MicrosAsync(clock) >= from + (long)window.TotalMicroseconds, "the end of the measuring window");
            var (to, after) = await RedisClock.SampleSaturatedAsync(clock, key, saturated, Admitted, precision);
            await Task.WhenAll(pipelines.Select(p => p.Completion));

            var seconds = (to - from) / 1e6;
            var expected = rate * seconds;
            var admitted = after - before;
            output.WriteLine($"admitted {admitted} items in {seconds:F3}s of Redis time: {admitted / expected:P1} of the rate");
            Assert.True(after < 3 * perPipeline, "the demand ran out before the window closed");
            Assert.True(Math.Abs(admitted - expected) <= expected * 0.1, $"admitted {admitted} items in {seconds:F3}s of Redis time: not within 10% of {expected:F0}");

            Assert.Equal(3 * perPipeline, pipelines.Sum(p => p.Counters["sink"].ItemsIn));
            Assert.All(pipelines, p => Assert.True(p.Counters["limit"].Balanced && p.Counters["limit"].Errors == 0, p.Counters["limit"].ToString()));
            Assert.All(pipelines, p => Assert.True(((DistributedLimiterOperator)p.Operators["limit"]).Limiter.IsShared));
        }
        finally
        {
            foreach (var pipeline in pipelines)
            {
                await pipeline.DisposeAsync();
            }
        }
    }

    [RedisFact]
    public async Task Killing_redis_under_load_makes_no_errors_and_the_shared_limit_returns_with_redis()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await using var pipeline = new PipelineBuilder(TestRegistry.Create()).Build(PipelineLoader.Parse($$"""
        { "operators": {
            "gen":   { "type": "generate", "rate": 20000, "batchSize": 100 },
            "limit": { "type": "flow.distributedLimiter", "inputs": ["gen"], "rate": 10000, "localRate": 5000, "onLimit": "drop",
                       "redis": "{{redis.Connection}}", "timeout": "200ms" },
            "sink":  { "type": "test.sink", "inputs": ["limit"] } } }
        """));
        await pipeline.StartAsync();
        var limiter = ((DistributedLimiterOperator)pipeline.Operators["limit"]).Limiter;
        await Poll.UntilAsync(() => pipeline.Counters["limit"].ItemsOut > 0 && limiter.IsShared, "data through the shared limit");

        await redis.KillAsync();
        await Poll.UntilAsync(() => !limiter.IsShared, "the local fallback");
        var atFallback = pipeline.Counters["limit"].ItemsOut;
        await Poll.UntilAsync(() => pipeline.Counters["limit"].ItemsOut > atFallback, "data through the local limit");

        await redis.StartAsync();
        await Poll.UntilAsync(() => limiter.IsShared, "the shared limit again");

        await pipeline.StopAsync();
        Assert.Equal(0, pipeline.Counters["limit"].Errors);
        Assert.True(pipeline.Counters["limit"].Balanced);
    }
}
