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
    private readonly RecordingOutput _output = new();

    private OperatorRegistry Registry() => RateLimitPipelineTests.Registry().AddOperator<SkewedStage>("test.skewed");

    private async Task<WorkStealingOperator> Start(int workers, string? orderBy = null)
    {
        var services = new ServicesOf(_gate, Registry());
        var context = TestOperatorContext.Create(services: services);
        var op = new WorkStealingOperator(new WorkStealingOptions { Stage = new JsonObject { ["type"] = "test.skewed" }, Workers = workers, OrderBy = orderBy, QueueCapacity = 1000 }, context);
        op.AttachOutput(_output);
        await op.StartAsync(CancellationToken.None);
        return op;
    }

    private async Task Send(WorkStealingOperator op, TelemetryBatch batch)
    {
        await op.ProcessAsync(batch, _output, CancellationToken.None);
        batch.Ack.Deliver();
    }

    [Fact]
    public async Task While_one_worker_is_stuck_on_heavy_work_the_others_steal_and_finish_everything_else()
    {
        var op = await Start(workers: 2);
        var heavy = FlowTestData.Request(1);
        heavy.ResourceSpans[0].ScopeSpans[0].Spans[0].Name = "heavy";
        await Send(op, TelemetryBatch.Create(heavy, ack: Acknowledgement.Create().Share));
        await FlowTestData.Eventually(() => _gate.HeavyStarted == 1);
        for (var i = 1; i <= 9; i++)
        {
            await Send(op, FlowTestData.Batch(1, firstSpan: i).Batch);
        }

        // Half of the light batches were dealt to the stuck worker's deque: they were stolen.
        await FlowTestData.Eventually(() => _output.On().Count == 9, "the light batches");
        Assert.True(op.Stolen >= 4, $"stolen {op.Stolen}");

        _gate.Release();
        await op.FlushAsync(_output, CancellationToken.None);
        Assert.Equal(10, _output.On().Count);
        await op.DisposeAsync();
    }

    [Fact]
    public async Task With_order_by_trace_id_the_spans_of_each_trace_come_out_in_arrival_order()
    {
        var op = await Start(workers: 4, orderBy: "traceId");
        var trackers = new List<AcknowledgementTracker>();
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

            var (share, tracker) = Acknowledgement.Create();
            trackers.Add(tracker);
            await Send(op, TelemetryBatch.Create(request, ack: share));
        }

        await op.FlushAsync(_output, CancellationToken.None);
        var spans = _output.On()
            .SelectMany(b => b.Traces!.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans))
            .ToList();
        Assert.Equal(1000, spans.Count);
        foreach (var trace in spans.GroupBy(s => s.TraceId))
        {
            var order = trace.Select(s => int.Parse(s.Name[1..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(order.Order(), order);
        }

        foreach (var batch in _output.On())
        {
            batch.Ack.Deliver();
        }

        foreach (var tracker in trackers)
        {
            Assert.True((await tracker.Completion).Succeeded);
        }

        await op.DisposeAsync();
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
        Assert.Contains("'stage' must be a processor type, got 'nope'", Assert.Single(errors).Message, StringComparison.Ordinal);
    }
}
