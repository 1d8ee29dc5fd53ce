using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Operators.Tests.Flow;

public sealed class RateLimitPipelineTests
{
    internal static OperatorRegistry Registry() =>
        new OperatorRegistry().AddAssembly(typeof(TokenBucketOperator).Assembly).AddOperator<CountingSink>("test.sink");

    [Fact]
    public async Task Two_hundred_thousand_items_through_a_waiting_token_bucket_arrive_in_full_at_the_configured_rate()
    {
        var time = new SteppingTimeProvider();
        var start = time.GetUtcNow();
        await using var pipeline = new PipelineBuilder(Registry(), timeProvider: time).Build(PipelineLoader.Parse("""
        { "operators": {
            "gen":   { "type": "generate", "count": 200000, "rate": 0 },
            "limit": { "type": "flow.tokenBucket", "inputs": ["gen"], "rate": 50000, "burst": 50000, "unit": "items", "onLimit": "wait" },
            "sink":  { "type": "test.sink", "inputs": ["limit"] } } }
        """));
        await pipeline.StartAsync();

        // Each time the limiter parks on a wait, check what it let through so far against the rate,
        // then move the clock on by exactly that wait.
        var seen = 0;
        var observations = 0;
        while (true)
        {
            await FlowTestData.Eventually(() => time.TimersCreated > seen || pipeline.Completion.IsCompleted, "the limiter to wait or the pipeline to finish");
            if (pipeline.Completion.IsCompleted)
            {
                break;
            }

            seen = time.TimersCreated;
            var elapsed = (time.GetUtcNow() - start).TotalSeconds;
            var admitted = pipeline.Counters["limit"].ItemsOut;
            Assert.InRange(admitted, 50000 + (50000 * elapsed) - 512, 50000 + (50000 * elapsed));
            observations++;
            time.Advance(time.LastDueTime);
        }

        await pipeline.Completion;
        var sink = (CountingSink)pipeline.Operators["sink"];
        Assert.Equal(200000, sink.Items);
        Assert.Equal(0, pipeline.Counters["limit"].ItemsDropped);
        Assert.True(pipeline.Counters["limit"].Balanced);

        // The burst passes at once, the other 150000 at 50000/s: three seconds of (fake) time.
        var total = time.GetUtcNow() - start;
        Assert.InRange(total, TimeSpan.FromSeconds(3) - TimeSpan.FromMilliseconds(11), TimeSpan.FromSeconds(3) + TimeSpan.FromMilliseconds(1));
        Assert.True(observations > 100);
    }

    [Fact]
    public async Task Dropping_limiter_conserves_items_and_sends_refusals_to_the_dropped_port()
    {
        var time = new SteppingTimeProvider();
        await using var pipeline = new PipelineBuilder(Registry(), timeProvider: time).Build(PipelineLoader.Parse("""
        { "operators": {
            "gen":     { "type": "generate", "count": 10000, "batchSize": 100 },
            "limit":   { "type": "flow.slidingWindow", "inputs": ["gen"], "rate": 2500, "onLimit": "drop" },
            "sink":    { "type": "test.sink", "inputs": ["limit"] },
            "refused": { "type": "test.sink", "inputs": ["limit.dropped"] } } }
        """));
        await pipeline.StartAsync();
        await pipeline.Completion;

        Assert.Equal(2500, ((CountingSink)pipeline.Operators["sink"]).Items);
        Assert.Equal(7500, ((CountingSink)pipeline.Operators["refused"]).Items);
        Assert.Equal(7500, pipeline.Counters["limit"].DroppedByReason[RateLimitOperator.DropReason]);
        Assert.True(pipeline.Counters["limit"].Balanced);
    }

    [Fact]
    public void An_unknown_on_limit_action_is_a_validation_error()
    {
        var errors = new PipelineBuilder(Registry()).Validate(PipelineLoader.Parse("""
        { "operators": {
            "gen":   { "type": "generate", "count": 1 },
            "limit": { "type": "flow.leakyBucket", "inputs": ["gen"], "rate": 10, "onLimit": "queue" },
            "sink":  { "type": "test.sink", "inputs": ["limit"] } } }
        """));
        var error = Assert.Single(errors);
        Assert.Equal("limit", error.OperatorId);
        Assert.Contains("onLimit", error.Message, StringComparison.Ordinal);
    }
}
