using OtlpFlow.Operators.Otlp.Tests.Support;

namespace OtlpFlow.Operators.Otlp.Tests.LoadBalancing;

/// <summary>The port balancers in front of two exporters, one of whose receivers is slowed.</summary>
public sealed class BalancerLoopbackTests
{
    // Acknowledgements only steer what is routed after they arrive: the generator is paced over a
    // few seconds, and the exporters send without a queue behind small edges, so that a burst
    // (the generator catching up after a stall) cannot pile up on both targets alike.
    [Theory]
    [InlineData("routing.leastConnections", "\"targets\": [\"fast\", \"slow\"]")]
    [InlineData("routing.latency", "\"targets\": [\"fast\", \"slow\"], \"seed\": 7")]
    public async Task The_balancer_prefers_the_exporter_whose_receiver_answers_fast(string type, string options)
    {
        var probe = Probe.Create();
        await using var fast = await TestPipeline.StartAsync($$"""
            { "operators": {
                "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:0" },
                "out": { "type": "test.probe", "inputs": ["in"], "name": "{{probe.Name}}" } } }
            """);
        // Small edges behind the slow receiver: it answers (or throttles) within a fraction of a
        // second instead of holding requests past the exporter's attempt timeout.
        await using var slow = await TestPipeline.StartAsync("""
            { "defaults": { "capacity": 2 },
              "operators": {
                "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:0" },
                "out": { "type": "test.lb.slow", "inputs": ["in"], "delay": "100ms" } } }
            """);
        await using var sender = await TestPipeline.StartAsync($$"""
            { "defaults": { "capacity": 2 },
              "operators": {
                "gen":  { "type": "generate", "signal": "traces", "count": 30000, "batchSize": 50, "rate": 6000, "seed": 3 },
                "lb":   { "type": "{{type}}", "inputs": ["gen"], {{options}} },
                "fast": { "type": "otlp.exporter", "inputs": ["lb.fast"], "endpoint": "{{fast.Grpc().ToString().TrimEnd('/')}}", "queue": { "size": 0 } },
                "slow": { "type": "otlp.exporter", "inputs": ["lb.slow"], "endpoint": "{{slow.Grpc().ToString().TrimEnd('/')}}", "queue": { "size": 0 } } } }
            """);
        await sender.Pipeline.Completion;

        var slowItems = ((SlowLoopbackSink)slow.Pipeline.Operators["out"]).Items;
        Assert.Equal(30000, probe.Items + slowItems);
        Assert.True(probe.Items > 2 * slowItems, $"fast {probe.Items}, slow {slowItems}");
    }
}
