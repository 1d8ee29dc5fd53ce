using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Hosting.Reload;
using OtlpFlow.Operators.Coordination.Tests.Servers;
using OtlpFlow.Operators.Resilience;

namespace OtlpFlow.Operators.Coordination.Tests.Load;

[Collection(ServersCollection.Name)]
public sealed class DegradationOnLoadTests(ServersFixture servers)
{
    private static string Pipeline(string coordination) => $$"""
        { "name": "degrading", {{coordination}}
          "operators": {
            "gen":     { "type": "generate", "rate": 5000, "batchSize": 10 },
            "degrade": { "type": "resilience.degradation", "inputs": ["gen"], "interval": "100ms", "cooldown": "0s",
                         "signals": { "queue": false, "memory": false, "breaker": false, "load": true },
                         "levels": [ { "name": "shed", "enterAbove": 0.95, "exitBelow": 0.8, "sampleRatio": 0.5 } ] },
            "gate":    { "type": "test.gated", "inputs": ["degrade"], "capacity": 100 } } }
        """;

    [EtcdFact]
    public async Task A_high_load_score_from_the_load_monitor_raises_the_degradation_level_and_a_low_one_lowers_it()
    {
        var prefix = ServersFixture.UniquePrefix("degrade");
        var spec = PipelineLoader.Parse(Pipeline($$"""
            "coordination": { "etcd": { "endpoints": ["{{servers.Etcd.Endpoint}}"], "prefix": "{{prefix}}", "memberId": "a" } },
            """));
        Assert.Empty(spec.Problems);
        RunningPipeline? pipeline = null;
        await using var services = await CoordinatedServices.StartAsync(spec, EmptyServices.Instance, () => pipeline);
        await using var running = new PipelineBuilder(TestRegistry.Create().AddOperator<GatedSink>("test.gated"), services).Build(spec);
        pipeline = running;
        var degrade = (DegradationOperator)running.Operators["degrade"];
        var gate = (GatedSink)running.Operators["gate"];
        var monitor = services.Load!;

        // The sink stops taking data: its queue fills, so this instance's load score reaches 1.
        gate.Close();
        await running.StartAsync();
        await Poll.UntilAsync(async () => (await monitor.MeasureAsync()).QueueFill >= 0.95, "the sink's queue to fill");
        await Poll.UntilAsync(() => degrade.Controller.Level == 1, "the level to rise on the load score");
        Assert.True(degrade.LastReadings["load"] >= 0.95);
        Assert.Equal(["load"], degrade.LastReadings.Keys);

        // The sink takes data again: the queue empties, the score falls, and the level with it.
        gate.Open();
        await Poll.UntilAsync(async () => (await monitor.MeasureAsync()).Score < 0.8, "the load score to fall");
        await Poll.UntilAsync(() => degrade.Controller.Level == 0, "the level to fall on the load score");

        Assert.True(await running.StopAsync(TimeSpan.FromSeconds(30)));
        Assert.True(gate.Items > 0);
    }

    [Fact]
    public async Task The_load_signal_without_a_coordination_section_stops_the_start_naming_the_operator()
    {
        var spec = PipelineLoader.Parse(Pipeline(string.Empty));
        await using var running = new PipelineBuilder(TestRegistry.Create().AddOperator<GatedSink>("test.gated")).Build(spec);

        var fault = await Assert.ThrowsAsync<PipelineFaultedException>(() => running.StartAsync());

        Assert.Equal("degrade", fault.OperatorId);
        Assert.Contains("'signals.load'", fault.InnerException?.Message ?? fault.Message, StringComparison.Ordinal);
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
