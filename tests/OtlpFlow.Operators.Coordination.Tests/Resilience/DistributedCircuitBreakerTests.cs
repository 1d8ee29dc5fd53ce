using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Coordination.Redis;
using OtlpFlow.Operators.Coordination.Resilience;
using OtlpFlow.Operators.Coordination.Tests.Servers;
using OtlpFlow.Operators.Resilience;
using StackExchange.Redis;

namespace OtlpFlow.Operators.Coordination.Tests.Resilience;

[Collection(ServersCollection.Name)]
public sealed class DistributedCircuitBreakerTests(ServersFixture servers)
{
    private static CircuitBreakerOptions Options() => new() { ConsecutiveFailures = 3, FailureRatio = 0, BreakFor = TimeSpan.FromSeconds(2) };

    [RedisFact]
    public async Task When_one_instance_opens_the_others_open_too_and_close_after_the_break()
    {
        var name = "test:breaker:" + Guid.NewGuid().ToString("N");
        await using var redisA = await RedisConnections.ConnectAsync(servers.Redis.Connection, TimeSpan.FromSeconds(1));
        await using var redisB = await RedisConnections.ConnectAsync(servers.Redis.Connection, TimeSpan.FromSeconds(1));
        await using var a = new DistributedCircuitBreaker(Options(), redisA, name);
        await using var b = new DistributedCircuitBreaker(Options(), redisB, name);
        await a.StartAsync();
        await b.StartAsync();

        for (var i = 0; i < 3; i++)
        {
            var permit = a.Local.Acquire();
            a.Local.RecordFailure(permit);
        }

        Assert.Equal(CircuitState.Open, a.Local.State);
        await Poll.UntilAsync(() => b.Local.State == CircuitState.Isolated, "b to open with a");
        Assert.True(b.OpenedByPeer);
        Assert.False(b.Local.Acquire().IsGranted);

        // An instance that joins during the break adopts it at once.
        await using var redisC = await RedisConnections.ConnectAsync(servers.Redis.Connection, TimeSpan.FromSeconds(1));
        await using var c = new DistributedCircuitBreaker(Options(), redisC, name);
        await c.StartAsync();
        Assert.Equal(CircuitState.Isolated, c.Local.State);

        await Poll.UntilAsync(() => b.Local.State == CircuitState.Closed && c.Local.State == CircuitState.Closed, "the peers to close after the break");
        Assert.True(b.Local.Acquire().IsGranted);
    }

    [RedisFact]
    public async Task A_failing_target_opens_the_operator_which_then_refuses_and_opens_its_peers()
    {
        var name = "test:breaker:" + Guid.NewGuid().ToString("N");
        await using var peerRedis = await RedisConnections.ConnectAsync(servers.Redis.Connection, TimeSpan.FromSeconds(1));
        await using var peer = new DistributedCircuitBreaker(Options(), peerRedis, name);
        await peer.StartAsync();
        await using var pipeline = new PipelineBuilder(TestRegistry.Create()).Build(PipelineLoader.Parse($$"""
        { "operators": {
            "gen":     { "type": "generate", "count": 5000, "batchSize": 50 },
            "breaker": { "type": "resilience.distributedBreaker", "inputs": ["gen"], "name": "{{name}}", "redis": "{{servers.Redis.Connection}}",
                         "breaker": { "consecutiveFailures": 3, "failureRatio": 0, "breakFor": "30s" } },
            "target":  { "type": "test.down", "inputs": ["breaker"] } } }
        """));
        await pipeline.StartAsync();
        await pipeline.Completion;

        var counters = pipeline.Counters["breaker"];
        Assert.True(counters.DroppedByReason.GetValueOrDefault(DistributedBreakerOperator.DropReason) > 0, counters.ToString());
        Assert.True(counters.Balanced);
        await Poll.UntilAsync(() => peer.Local.State == CircuitState.Isolated, "the peer to open too");
    }
}
