using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Operators.Resilience;
using OtlpFlow.Operators.Tests.Flow;

namespace OtlpFlow.Operators.Tests.Resilience;

public sealed class FailoverPipelineTests
{
    private static OperatorRegistry Registry() =>
        RateLimitPipelineTests.Registry().AddOperator<FlakySink>("test.flaky");

    [Fact]
    public async Task With_the_primary_down_every_item_reaches_the_secondary_and_the_pipeline_balances()
    {
        await using var pipeline = new PipelineBuilder(Registry()).Build(PipelineLoader.Parse("""
        { "operators": {
            "gen":       { "type": "generate", "count": 5000, "batchSize": 50 },
            "fo":        { "type": "resilience.failover", "inputs": ["gen"], "targets": ["primary", "secondary"],
                           "breaker": { "consecutiveFailures": 3, "breakFor": "1h" } },
            "primary":   { "type": "test.flaky", "inputs": ["fo.primary"] },
            "secondary": { "type": "test.flaky", "inputs": ["fo.secondary"] } } }
        """));
        var primary = (FlakySink)pipeline.Operators["primary"];
        var secondary = (FlakySink)pipeline.Operators["secondary"];
        primary.Failing = true;
        await pipeline.StartAsync();
        await pipeline.Completion;

        var failover = (FailoverOperator)pipeline.Operators["fo"];
        Assert.Equal(0, primary.Items);
        Assert.Equal(5000, secondary.Items);
        Assert.Equal(5000, failover.Statistics.DeliveredItems);
        Assert.Equal(0, failover.Statistics.FailedItems);
        Assert.Equal(CircuitState.Open, failover.Breakers[0].State);

        // What the primary failed came back (counted as returned) and went to the secondary, so
        // in + returned = out, and every operator balances as the engine counts it.
        Assert.Equal(primary.FailedItems, 50 * failover.Statistics.Resent);
        Assert.Equal(primary.FailedItems, pipeline.Counters["fo"].ItemsReturned);
        Assert.True(pipeline.Counters["fo"].Balanced);
        Assert.True(pipeline.Counters["primary"].Balanced);
        Assert.True(pipeline.Counters["secondary"].Balanced);
    }

    [Fact]
    public async Task A_target_port_that_nothing_reads_is_reported_at_start()
    {
        await using var pipeline = new PipelineBuilder(Registry()).Build(PipelineLoader.Parse("""
        { "operators": {
            "gen":     { "type": "generate", "count": 10 },
            "fo":      { "type": "resilience.failover", "inputs": ["gen"], "targets": ["primary", "secondary"] },
            "primary": { "type": "test.flaky", "inputs": ["fo.primary"] } } }
        """));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => pipeline.StartAsync());
        Assert.Contains("fo.secondary", error.ToString(), StringComparison.Ordinal);
    }
}
