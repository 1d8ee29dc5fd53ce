using System.Runtime.CompilerServices;
using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Resilience;
using OtlpFlow.Operators.Tests.Flow;

namespace OtlpFlow.Operators.Tests.Resilience;

public sealed class DegradationOperatorTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly Random _random = new(5);

    private async Task<(DegradationOperator Operator, RecordingOutput Output, StrongBox<double> Load)> StartAsync(params DegradationLevelOptions[] levels)
    {
        var options = new DegradationOptions { Levels = [.. levels], Interval = TimeSpan.FromSeconds(1), Cooldown = TimeSpan.FromSeconds(5) };
        var op = new DegradationOperator(options, TestOperatorContext.Create("degrade", timeProvider: _time));
        var load = new StrongBox<double>();
        op.AddSignal("test", () => load.Value);
        var output = new RecordingOutput();
        await op.StartAsync(CancellationToken.None);
        return (op, output, load);
    }

    [Fact]
    public async Task At_level_zero_batches_pass_unchanged_and_their_acknowledgement_follows_downstream()
    {
        var (op, output, _) = await StartAsync(new DegradationLevelOptions { EnterAbove = 0.5, SampleRatio = 0.1 });
        await using var _ = op;
        var (batch, tracker) = ResilienceTestData.Batch(100, _random);
        await op.ProcessAsync(batch, output, CancellationToken.None);
        batch.Ack.Deliver();

        var sent = Assert.Single(output.On());
        Assert.Equal(100, sent.ItemCount);
        Assert.False(tracker.Completion.IsCompleted);
        sent.Ack.Deliver();
        Assert.True((await tracker.Completion).Succeeded);
    }

    [Fact]
    public async Task The_interval_timer_reads_the_signals_and_raises_the_level_step_by_step()
    {
        var (op, _, load) = await StartAsync(
            new DegradationLevelOptions { EnterAbove = 0.5 },
            new DegradationLevelOptions { EnterAbove = 0.9 });
        await using var _ = op;
        load.Value = 1;

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, op.Controller.Level);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, op.Controller.Level);

        // First reading under the exit threshold, then the whole cooldown (5 s) before one step down.
        load.Value = 0;
        for (var second = 0; second < 5; second++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(2, op.Controller.Level);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, op.Controller.Level);
        Assert.Equal(0, op.LastReadings["test"]);
    }

    [Fact]
    public async Task Sampling_keeps_about_the_ratio_of_traces_and_counts_the_rest_as_dropped()
    {
        var (op, output, load) = await StartAsync(new DegradationLevelOptions { EnterAbove = 0.5, SampleRatio = 0.25 });
        await using var _ = op;
        load.Value = 1;
        op.Evaluate();
        var (batch, tracker) = ResilienceTestData.Batch(4000, _random);
        await op.ProcessAsync(batch, output, CancellationToken.None);
        batch.Ack.Deliver();

        var kept = Assert.Single(output.On()).ItemCount;
        Assert.InRange(kept, 850, 1150);
        Assert.Equal(4000 - kept, output.Dropped[DegradationOperator.SampledReason]);
    }

    [Fact]
    public async Task A_level_drops_attributes_drops_signals_and_routes_to_a_cheaper_port()
    {
        var (op, output, load) = await StartAsync(new DegradationLevelOptions
        {
            EnterAbove = 0.5,
            DropAttributes = ["http.url"],
            DropSignals = [Signal.Logs],
            Route = "cheap",
        });
        await using var _ = op;
        Assert.Equal(["out", "cheap"], op.OutputPorts);
        load.Value = 1;
        op.Evaluate();

        var (traces, _) = ResilienceTestData.Batch(3, _random);
        await op.ProcessAsync(traces, output, CancellationToken.None);
        var (logsShare, _) = Acknowledgement.Create();
        var logs = TelemetryBatch.Create(new OpenTelemetry.Proto.Collector.Logs.V1.ExportLogsServiceRequest(), ack: logsShare);
        await op.ProcessAsync(logs, output, CancellationToken.None);

        var routed = Assert.Single(output.On("cheap"));
        var spans = routed.Traces!.ResourceSpans[0].ScopeSpans[0].Spans;
        Assert.All(spans, s => Assert.Equal(["keep"], s.Attributes.Select(a => a.Key)));
        Assert.Empty(output.On());
        Assert.Single(output.On(IOperatorOutput.DroppedPort));
    }

    [Fact]
    public async Task Downstream_failures_open_the_breaker_signal_and_raise_the_level()
    {
        var options = new DegradationOptions
        {
            Levels = [new DegradationLevelOptions { EnterAbove = 0.5 }],
            Signals = new DegradationSignalOptions { BreakerOptions = new CircuitBreakerOptions { ConsecutiveFailures = 2, FailureRatio = 0 } },
        };
        var op = new DegradationOperator(options, TestOperatorContext.Create("degrade", timeProvider: _time));
        await using var _ = op;
        var output = new RecordingOutput();
        for (var i = 0; i < 2; i++)
        {
            var (batch, tracker) = ResilienceTestData.Batch(1, _random);
            await op.ProcessAsync(batch, output, CancellationToken.None);
            batch.Ack.Deliver();
            output.On()[i].Ack.Fail(1, new InvalidOperationException("exporter gave up"));
            Assert.False((await tracker.Completion).Succeeded); // the failure reaches the client
        }

        Assert.Equal(CircuitState.Open, op.DownstreamBreaker!.State);
        Assert.Equal(1, op.Evaluate());
        Assert.Equal(1.0, op.LastReadings["breaker"]);
    }

    [Fact]
    public async Task The_queue_signal_is_the_share_of_batches_not_yet_acknowledged_downstream()
    {
        var options = new DegradationOptions
        {
            Levels = [new DegradationLevelOptions { EnterAbove = 0.5 }],
            Signals = new DegradationSignalOptions { QueueCapacity = 4, Breaker = false },
        };
        var op = new DegradationOperator(options, TestOperatorContext.Create("degrade", timeProvider: _time));
        await using var _ = op;
        var output = new RecordingOutput();
        for (var i = 0; i < 3; i++)
        {
            var (batch, _) = ResilienceTestData.Batch(1, _random);
            await op.ProcessAsync(batch, output, CancellationToken.None);
        }

        Assert.Equal(1, op.Evaluate());
        Assert.Equal(0.75, op.LastReadings["queue"]);
        output.On()[0].Ack.Deliver();
        op.Evaluate();
        Assert.Equal(0.5, op.LastReadings["queue"]);
    }

    [Fact]
    public async Task A_pipeline_with_every_option_binds_and_passes_everything_at_level_zero()
    {
        await using var pipeline = new PipelineBuilder(RateLimitPipelineTests.Registry()).Build(PipelineLoader.Parse("""
        { "operators": {
            "gen":     { "type": "generate", "count": 3000, "batchSize": 100 },
            "degrade": { "type": "resilience.degradation", "inputs": ["gen"], "interval": "1s", "cooldown": "30s",
                         "signals": { "queue": true, "queueCapacity": 500, "memory": true, "breaker": true, "cpu": true,
                                      "breakerOptions": { "consecutiveFailures": 3 } },
                         "levels": [
                           { "name": "sample",  "enterAbove": 0.6,  "exitBelow": 0.4, "sampleRatio": 0.5 },
                           { "name": "trim",    "enterAbove": 0.8,  "sampleRatio": 0.25, "dropAttributes": ["db.statement"] },
                           { "name": "survive", "enterAbove": 0.95, "exitBelow": 0.8, "dropSignals": ["logs"], "route": "cheap" } ] },
            "sink":    { "type": "test.sink", "inputs": ["degrade"] },
            "cheap":   { "type": "test.sink", "inputs": ["degrade.cheap"] } } }
        """));
        await pipeline.StartAsync();
        await pipeline.Completion;

        Assert.Equal(3000, ((CountingSink)pipeline.Operators["sink"]).Items);
        Assert.True(pipeline.Counters["degrade"].Balanced);
    }

    [Fact]
    public void A_level_without_enter_above_is_a_validation_error_naming_the_key()
    {
        var errors = new PipelineBuilder(RateLimitPipelineTests.Registry()).Validate(PipelineLoader.Parse("""
        { "operators": {
            "gen":     { "type": "generate", "count": 10 },
            "degrade": { "type": "resilience.degradation", "inputs": ["gen"], "levels": [ { "sampleRatio": 0.5 } ] },
            "sink":    { "type": "test.sink", "inputs": ["degrade"] } } }
        """));

        Assert.Contains(errors, e => e.Message.Contains("enterAbove", StringComparison.Ordinal));
    }
}
