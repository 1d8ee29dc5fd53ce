using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Hosting.Tests.TestOperators;

namespace OtlpFlow.Hosting.Tests;

public sealed class PipelineRunnerTests : IDisposable
{
    private readonly PipelineFiles _files = new();
    private readonly OperatorRegistry _registry = new OtlpFlowBuilder { IncludeBuiltInOperators = false }
        .AddAssembly(typeof(SpanSource).Assembly)
        .BuildRegistry();

    public void Dispose() => _files.Dispose();

    private static string Pipeline(string source, string sink) => $$"""
        {
          "name": "test",
          "operators": {
            "src": {{source}},
            "sink": {{sink}}
          }
        }
        """;

    private const string Count = """{ "type": "test.count", "inputs": ["src"] }""";

    [Fact]
    public async Task A_pipeline_whose_sources_finish_completes_with_every_item_delivered()
    {
        var tally = new SpanTally();
        var runner = new PipelineRunner(_registry, new SimpleServices(tally));
        var path = _files.Write(Pipeline("""{ "type": "test.spans", "batches": 4, "spansPerBatch": 3 }""", Count));

        var result = await runner.RunFileAsync(path);

        Assert.Equal(PipelineRunOutcome.Completed, result.Outcome);
        Assert.True(result.Succeeded);
        Assert.True(result.Drained);
        Assert.Equal(12, tally.Count);
        Assert.Equal(["src", "sink"], result.Operators.Select(o => o.Id));
        var sink = result.Operators.Single(o => o.Id == "sink");
        Assert.Equal(("test.count", OperatorKind.Sink, 12L, 12L), (sink.Type, sink.Kind, sink.Counters.ItemsIn, sink.Counters.ItemsOut));
    }

    [Fact]
    public async Task Cancelling_stops_an_endless_source_and_drains_everything_it_sent()
    {
        var probe = new RunProbe();
        var tally = new SpanTally();
        var runner = new PipelineRunner(_registry, new SimpleServices(probe, tally));
        var path = _files.Write(Pipeline("""{ "type": "test.spans", "endless": true }""", Count));
        using var cancel = new CancellationTokenSource();

        var run = runner.RunFileAsync(path, cancellationToken: cancel.Token);
        await probe.FirstBatchSent.Task;
        await cancel.CancelAsync();
        var result = await run;

        Assert.Equal(PipelineRunOutcome.Cancelled, result.Outcome);
        Assert.True(result.Drained);
        var sent = result.Operators.Single(o => o.Id == "src").Counters.ItemsOut;
        Assert.True(sent > 0);
        Assert.Equal(sent, tally.Count);
    }

    [Fact]
    public async Task The_duration_passing_stops_an_endless_source_and_drains()
    {
        var probe = new RunProbe();
        var time = new FakeTimeProvider();
        var runner = new PipelineRunner(_registry, new SimpleServices(probe), timeProvider: time);
        var path = _files.Write(Pipeline("""{ "type": "test.spans", "endless": true }""", Count));

        var run = runner.RunFileAsync(path, new PipelineRunOptions { Duration = TimeSpan.FromSeconds(10) });
        await probe.FirstBatchSent.Task;
        time.Advance(TimeSpan.FromSeconds(10));
        var result = await run;

        Assert.Equal(PipelineRunOutcome.DurationElapsed, result.Outcome);
        Assert.True(result.Drained);
        var src = result.Operators.Single(o => o.Id == "src").Counters;
        var sink = result.Operators.Single(o => o.Id == "sink").Counters;
        Assert.Equal(src.ItemsOut, sink.ItemsOut);
    }

    [Fact]
    public async Task An_operator_failing_fatally_is_reported_as_a_fault_naming_it()
    {
        var runner = new PipelineRunner(_registry);
        var path = _files.Write(Pipeline("""{ "type": "test.spans" }""", """{ "type": "test.fail", "inputs": ["src"] }"""));

        var result = await runner.RunFileAsync(path);

        Assert.Equal(PipelineRunOutcome.Faulted, result.Outcome);
        Assert.False(result.Succeeded);
        Assert.Equal("sink", result.FailedOperatorId);
        Assert.Equal("disk full", result.ErrorMessage);
        Assert.IsType<PipelineFaultedException>(result.Exception);
    }

    [Fact]
    public async Task An_operator_failing_to_start_is_reported_as_a_fault_naming_it()
    {
        var runner = new PipelineRunner(_registry);
        var path = _files.Write(Pipeline("""{ "type": "test.spans" }""", """{ "type": "test.failstart", "inputs": ["src"] }"""));

        var result = await runner.RunFileAsync(path);

        Assert.Equal(PipelineRunOutcome.Faulted, result.Outcome);
        Assert.Equal("sink", result.FailedOperatorId);
        Assert.Equal("port 4317 is taken", result.ErrorMessage);
    }

    [Fact]
    public async Task An_invalid_file_is_reported_with_every_error_located()
    {
        var runner = new PipelineRunner(_registry);
        var path = _files.Write(Pipeline("""{ "type": "test.nope" }""", """{ "type": "test.count", "inputs": ["ghost"] }"""));

        var result = await runner.RunFileAsync(path);

        Assert.Equal(PipelineRunOutcome.Invalid, result.Outcome);
        Assert.Collection(
            result.Errors,
            e => Assert.Equal((4, "src"), (e.Line, e.OperatorId)),
            e => Assert.Equal((5, "sink"), (e.Line, e.OperatorId)));
        Assert.Empty(result.Operators);
    }

    [Fact]
    public async Task A_missing_file_is_reported_as_invalid_rather_than_thrown()
    {
        var runner = new PipelineRunner(_registry);

        var result = await runner.RunFileAsync(Path.Combine(Path.GetTempPath(), "otlpflow-no-such-dir", "missing.json"));

        Assert.Equal(PipelineRunOutcome.Invalid, result.Outcome);
        var error = Assert.Single(result.Errors);
        Assert.EndsWith("missing.json:1:1: cannot read the pipeline file: no such file", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_syntax_error_is_reported_as_invalid_with_its_position()
    {
        var runner = new PipelineRunner(_registry);
        var path = _files.Write("{\n  \"operators\": {\n    \"src\": { \"type\": \"test.spans\" \n  }\n");

        var result = await runner.RunFileAsync(path);

        Assert.Equal(PipelineRunOutcome.Invalid, result.Outcome);
        Assert.StartsWith(path + ":", Assert.Single(result.Errors).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_watcher_sees_the_running_pipeline_and_is_stopped_when_the_run_ends()
    {
        var runner = new PipelineRunner(_registry);
        var path = _files.Write(Pipeline("""{ "type": "test.spans" }""", Count));
        IReadOnlyList<string>? seen = null;
        var watcherStopped = false;

        var result = await runner.RunFileAsync(path, new PipelineRunOptions
        {
            WhileRunning = async (pipeline, stopToken) =>
            {
                seen = pipeline.OperatorIds;
                try
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, stopToken);
                }
                finally
                {
                    watcherStopped = true;
                }
            },
        });

        Assert.Equal(PipelineRunOutcome.Completed, result.Outcome);
        Assert.Equal(["src", "sink"], seen);
        Assert.True(watcherStopped);
    }
}
