using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Coordination.Canary;

namespace OtlpFlow.Operators.Coordination.Tests.Canary;

public sealed class CanaryOperatorTests
{
    // The candidate branch is a filter that keeps everything (healthy) or an operator that refuses
    // every batch (drops data). The generator runs until the test stops the pipeline.
    private static RunningPipeline Pipeline(FakeTimeProvider time, bool healthy) =>
        new PipelineBuilder(TestRegistry.Create(), timeProvider: time).Build(PipelineLoader.Parse($$"""
        { "operators": {
            "gen":       { "type": "generate", "batchSize": 100 },
            "canary":    { "type": "routing.canary", "inputs": ["gen"], "fraction": 0.2, "window": "1m", "minItems": 2000, "tolerance": 0.01 },
            "candidate": {{(healthy ? "{ \"type\": \"filter\", \"inputs\": [\"canary.candidate\"], \"drop\": { \"none\": \"false\" } }" : "{ \"type\": \"test.dropAll\", \"inputs\": [\"canary.candidate\"] }")}},
            "stable":    { "type": "test.sink", "inputs": ["canary.stable"] },
            "new":       { "type": "test.sink", "inputs": ["candidate"] } } }
        """));

    [Fact]
    public async Task A_healthy_candidate_is_promoted_and_then_gets_all_the_traffic()
    {
        var time = new FakeTimeProvider();
        await using var pipeline = Pipeline(time, healthy: true);
        var canary = (CanaryOperator)pipeline.Operators["canary"];
        await pipeline.StartAsync();
        await Poll.UntilAsync(() => pipeline.Counters["new"].ItemsIn >= 2000, "2000 items through the candidate");

        // The stable branch's sink may lag behind on a loaded machine: the window closes once both
        // branches have written their share, so the verdict's figures are the ones asserted below.
        await Poll.UntilAsync(() => pipeline.Counters["stable"].ItemsOut >= 4 * 2000 * 0.9 && pipeline.Counters["new"].ItemsOut >= 2000, "both branches to write their share");
        time.Advance(TimeSpan.FromMinutes(1));

        await Poll.UntilAsync(() => canary.Verdict is not null, "a verdict");
        var verdict = canary.Verdict!;
        Assert.Equal(CanaryState.Promoted, verdict.State);
        Assert.Equal(0, verdict.Candidate.Dropped);
        Assert.True(verdict.Candidate.Items >= 2000 && verdict.Stable.Items >= 4 * 2000 * 0.9, verdict.ToString());

        // From now on the candidate takes everything: the stable branch gets nothing more.
        var candidateAtVerdict = pipeline.Counters["new"].ItemsIn;
        await Poll.UntilAsync(() => pipeline.Counters["new"].ItemsIn >= candidateAtVerdict + 20000, "20000 more items through the candidate");
        var stableRouted = canary.RoutedToStable;
        await Poll.UntilAsync(() => pipeline.Counters["new"].ItemsIn >= candidateAtVerdict + 40000, "20000 more again");
        await pipeline.StopAsync();
        Assert.Equal(stableRouted, canary.RoutedToStable);
        Assert.Equal(stableRouted, pipeline.Counters["stable"].ItemsIn);
        Assert.Equal(pipeline.Counters["gen"].ItemsOut, pipeline.Counters["stable"].ItemsIn + pipeline.Counters["new"].ItemsIn);
        Assert.True(pipeline.Counters["canary"].Balanced);
    }

    [Fact]
    public async Task A_candidate_that_drops_data_is_rolled_back_with_its_figures()
    {
        var time = new FakeTimeProvider();
        await using var pipeline = Pipeline(time, healthy: false);
        var canary = (CanaryOperator)pipeline.Operators["canary"];
        await pipeline.StartAsync();
        await Poll.UntilAsync(() => pipeline.Counters["candidate"].ItemsDropped >= 2000, "2000 items dropped by the candidate");

        time.Advance(TimeSpan.FromMinutes(1));

        await Poll.UntilAsync(() => canary.Verdict is not null, "a verdict");
        var verdict = canary.Verdict!;
        Assert.Equal(CanaryState.RolledBack, verdict.State);
        Assert.True(verdict.Candidate.DropRate == 1.0 && verdict.Stable.DropRate == 0.0, verdict.ToString());

        // From now on nothing more goes to the candidate.
        var stableAtVerdict = pipeline.Counters["stable"].ItemsIn;
        await Poll.UntilAsync(() => pipeline.Counters["stable"].ItemsIn >= stableAtVerdict + 20000, "20000 more items through stable");
        var candidateRouted = canary.RoutedToCandidate;
        await Poll.UntilAsync(() => pipeline.Counters["stable"].ItemsIn >= stableAtVerdict + 40000, "20000 more again");
        await pipeline.StopAsync();
        Assert.Equal(candidateRouted, canary.RoutedToCandidate);
        Assert.Equal(candidateRouted, pipeline.Counters["candidate"].ItemsIn);
        Assert.Equal(pipeline.Counters["gen"].ItemsOut, pipeline.Counters["stable"].ItemsIn + pipeline.Counters["candidate"].ItemsIn);
    }

    [Fact]
    public async Task Too_few_candidate_items_extend_the_window_instead_of_deciding()
    {
        var time = new FakeTimeProvider();
        await using var pipeline = new PipelineBuilder(TestRegistry.Create(), timeProvider: time).Build(PipelineLoader.Parse("""
        { "operators": {
            "gen":    { "type": "generate", "count": 1000, "batchSize": 100 },
            "canary": { "type": "routing.canary", "inputs": ["gen"], "fraction": 0.5, "window": "1m", "minItems": 5000 },
            "a":      { "type": "test.sink", "inputs": ["canary.stable"] },
            "b":      { "type": "test.sink", "inputs": ["canary.candidate"] } } }
        """));
        var canary = (CanaryOperator)pipeline.Operators["canary"];
        await pipeline.StartAsync();
        await Poll.UntilAsync(() => pipeline.Counters["b"].ItemsIn == 500, "half the items to the candidate");

        Assert.Null(canary.Evaluate());
        Assert.Equal(CanaryState.Running, canary.State);
        await pipeline.Completion;
    }
}
