using System.Text.Json.Nodes;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Operators.Tests.Flow;

/// <summary>Holds the stage's "heavy" batches until the test lets them go.</summary>
public sealed class StageGate
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _heavyStarted;

    public int HeavyStarted => Volatile.Read(ref _heavyStarted);

    public void Release() => _release.TrySetResult();

    internal Task HeavyAsync()
    {
        Interlocked.Increment(ref _heavyStarted);
        return _release.Task;
    }
}

/// <summary>A stage whose work is skewed: a batch whose first span is named "heavy" waits for the gate; others pass at once or after a short jitter.</summary>
public sealed class SkewedStage(OperatorContext context, StageGate gate) : ProcessorOperator(context)
{
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        var first = batch.Traces!.ResourceSpans[0].ScopeSpans[0].Spans[0];
        if (first.Name == "heavy")
        {
            await gate.HeavyAsync();
        }
        else if (first.SpanId[0] % 3 == 0)
        {
            await Task.Yield();
        }

        await output.EmitAsync(batch, cancellationToken);
    }
}

public sealed class WorkStealingOperatorTests
{
    private readonly StageGate _gate = new();

    private OperatorRegistry Registry() => RateLimitPipelineTests.Registry().AddOperator<SkewedStage>("test.skewed");

    private Task<OperatorHarness> Create(string options) =>
        OperatorHarness.CreateAsync(Registry(), "schedule.workStealing", options, new OperatorHarnessOptions { Services = new ServicesOf(_gate) });

    [Fact]
    public async Task While_one_worker_is_stuck_on_heavy_work_the_others_steal_and_finish_everything_else()
    {
        await using var harness = await Create("""{ "workers": 2, "queueCapacity": 1000, "stage": { "type": "test.skewed" } }""");
        var op = (WorkStealingOperator)harness.Operator;
        var heavy = FlowTestData.Request(1);
        heavy.ResourceSpans[0].ScopeSpans[0].Spans[0].Name = "heavy";
        var acks = new List<Task<AcknowledgementResult>> { harness.SendAsync(heavy) };
        await Poll.UntilAsync(() => _gate.HeavyStarted == 1, "a worker to take the heavy batch");
        for (var i = 1; i <= 9; i++)
        {
            acks.Add(harness.SendAsync(FlowTestData.Batch(1, firstSpan: i).Batch));
        }

        // Half of the light batches were dealt to the stuck worker's deque: they were stolen.
        await Poll.UntilAsync(() => harness.Output().Batches.Count == 9, "the light batches");
        Assert.True(op.Stolen >= 4, $"stolen {op.Stolen}");
        Assert.False(acks[0].IsCompleted);

        _gate.Release();
        await harness.CompleteAsync();
        Assert.Equal(10, harness.Output().Batches.Count);
        Assert.All(await Task.WhenAll(acks), r => Assert.True(r.Succeeded));
        harness.AssertConserved();
    }

    [Fact]
    public async Task With_order_by_trace_id_the_spans_of_each_trace_come_out_in_arrival_order()
    {
        await using var harness = await Create("""{ "workers": 4, "orderBy": "traceId", "queueCapacity": 1000, "stage": { "type": "test.skewed" } }""");
        var acks = new List<Task<AcknowledgementResult>>();
        var sequence = 0;
        for (var b = 0; b < 100; b++)
        {
            // Each batch: 10 spans from 10 of 40 traces; span names carry a global sequence number.
            var request = new OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest();
            for (var s = 0; s < 10; s++)
            {
                var trace = ((b * 7) + (s * 3)) % 40;
                var one = FlowTestData.Request(1, firstSpan: sequence, traceIdHex: trace.ToString("x32", System.Globalization.CultureInfo.InvariantCulture));
                one.ResourceSpans[0].ScopeSpans[0].Spans[0].Name = "s" + sequence++;
                request.ResourceSpans.Add(one.ResourceSpans);
            }

            acks.Add(harness.SendAsync(request));
        }

        await harness.CompleteAsync();
        var spans = harness.Output().Batches
            .SelectMany(b => b.Traces!.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans))
            .ToList();
        Assert.Equal(1000, spans.Count);
        foreach (var trace in spans.GroupBy(s => s.TraceId))
        {
            var order = trace.Select(s => int.Parse(s.Name[1..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(order.Order(), order);
        }

        Assert.All(await Task.WhenAll(acks), r => Assert.True(r.Succeeded));
        harness.AssertConserved();
    }

    [Fact]
    public async Task A_builtin_stage_runs_in_a_pipeline_with_conservation()
    {
        await using var pipeline = new PipelineBuilder(Registry()).Build(PipelineLoader.Parse("""
        { "operators": {
            "gen":   { "type": "generate", "count": 20000, "batchSize": 200, "seed": 4 },
            "work":  { "type": "schedule.workStealing", "inputs": ["gen"], "workers": 3, "orderBy": "service",
                       "stage": { "type": "filter", "drop": { "checkout": "service == \"checkout\"" } } },
            "sink":  { "type": "test.sink", "inputs": ["work"] } } }
        """));
        await pipeline.StartAsync();
        await pipeline.Completion;

        var work = pipeline.Counters["work"];
        Assert.Equal(20000, work.ItemsIn);
        Assert.True(work.Balanced, work.ToString());
        Assert.True(work.DroppedByReason.GetValueOrDefault("checkout") > 0);
        Assert.Equal(work.ItemsOut, pipeline.Counters["sink"].ItemsOut);
    }

    [Fact]
    public void An_unknown_stage_type_is_a_validation_error()
    {
        var errors = new PipelineBuilder(Registry()).Validate(PipelineLoader.Parse("""
        { "operators": {
            "gen":  { "type": "generate", "count": 1 },
            "work": { "type": "schedule.workStealing", "inputs": ["gen"], "stage": { "type": "nope" } },
            "sink": { "type": "test.sink", "inputs": ["work"] } } }
        """));
        Assert.Contains("the stage's type 'nope' is unknown", Assert.Single(errors).Message, StringComparison.Ordinal);
    }
}
