using System.Collections.Concurrent;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Tests.Pipeline;

// Small operators that exist only to exercise the engine's guarantees.

public sealed class CountingSourceOptions
{
    /// <summary>Batches to emit; 0 = until stopped.</summary>
    public int Batches { get; set; } = 10;

    public int SpansPerBatch { get; set; } = 4;

    /// <summary>Name of the span at this batch index: "boom" makes ThrowingProcessor fail it.</summary>
    public int BoomEvery { get; set; }

    /// <summary>Wait for the named gate before completing.</summary>
    public string? HoldUntil { get; set; }

    /// <summary>Make each batch's acknowledgement tracker here and collect the results.</summary>
    public bool Track { get; set; }
}

public sealed class CountingSource(CountingSourceOptions options, OperatorContext context, TestState state) : SourceOperator(context)
{
    public override async Task RunAsync(IOperatorOutput output, CancellationToken stopToken)
    {
        for (var i = 0; options.Batches == 0 || i < options.Batches; i++)
        {
            stopToken.ThrowIfCancellationRequested();
            var boom = options.BoomEvery > 0 && i % options.BoomEvery == options.BoomEvery - 1;
            var request = TestData.Traces(options.SpansPerBatch, seq: i, name: boom ? "boom" : $"span-{i}");
            var batch = TelemetryBatch.Create(request);
            if (options.Track)
            {
                var (share, tracker) = Acknowledgement.Create(batch.SizeBytes);
                state.Trackers.Enqueue(tracker);
                batch = TelemetryBatch.Create(request, ack: share);
            }

            await output.EmitAsync(batch, stopToken);
            state.Emitted(Context.Id, options.SpansPerBatch);
        }

        if (options.HoldUntil is { } gate)
        {
            await state.Gate(gate).Task.WaitAsync(stopToken);
        }
    }
}

public sealed class PassThrough(OperatorContext context) : ProcessorOperator(context)
{
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken) =>
        output.EmitAsync(batch, cancellationToken);
}

/// <summary>Fails every batch whose first span is named "boom"; the pipeline must go on.</summary>
public sealed class ThrowingProcessor(OperatorContext context) : ProcessorOperator(context)
{
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken) =>
        batch.Traces!.ResourceSpans[0].ScopeSpans[0].Spans[0].Name == "boom"
            ? throw new InvalidOperationException("boom")
            : output.EmitAsync(batch, cancellationToken);
}

/// <summary>Fails fatally on the first batch.</summary>
public sealed class FatalProcessor(OperatorContext context) : ProcessorOperator(context)
{
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken) =>
        throw new OperatorFaultException("disk is gone");
}

/// <summary>Splits every batch into one batch per span (derived acknowledgements).</summary>
public sealed class SplitProcessor(OperatorContext context) : ProcessorOperator(context)
{
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        foreach (var span in batch.Traces!.ResourceSpans[0].ScopeSpans[0].Spans)
        {
            var single = new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { span } } } } } };
            await output.EmitAsync(batch.Derive(single), cancellationToken);
        }
    }
}

/// <summary>Drops every other batch with a reason, and one span of the others.</summary>
public sealed class DroppingProcessor(OperatorContext context) : ProcessorOperator(context)
{
    private int _seen;

    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _seen) % 2 == 0)
        {
            await output.DropAsync(batch, "even", cancellationToken);
            return;
        }

        var copy = batch.Traces!.Clone();
        copy.ResourceSpans[0].ScopeSpans[0].Spans.RemoveAt(0);
        output.CountDropped(1, "first-span");
        await output.EmitAsync(batch.Derive(copy), cancellationToken);
    }
}

/// <summary>Holds every batch until the drain, then emits them all (a stateful operator).</summary>
public sealed class HoldingProcessor(OperatorContext context) : ProcessorOperator(context)
{
    private readonly ConcurrentQueue<TelemetryBatch> _held = new();

    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        _held.Enqueue(TelemetryBatch.Create(batch.Traces!, batch.Context, batch.Ack.AddShare()));
        return ValueTask.CompletedTask;
    }

    public override async ValueTask FlushAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        while (_held.TryDequeue(out var batch))
        {
            await output.EmitAsync(batch, cancellationToken);
        }
    }
}

/// <summary>Renames spans in place; declares it, so the engine copies for it at a fan-out.</summary>
public sealed class MutatingProcessor(OperatorContext context) : ProcessorOperator(context)
{
    public override bool MutatesData => true;

    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        foreach (var span in batch.Traces!.ResourceSpans[0].ScopeSpans[0].Spans)
        {
            span.Name = "mutated";
        }

        return output.EmitAsync(batch, cancellationToken);
    }
}

public sealed class RouterOptions
{
    public List<string> Routes { get; set; } = [];
}

/// <summary>Declares its ports from options (as a router does) and sends everything to the first.</summary>
public sealed class PortsProcessor(RouterOptions options, OperatorContext context) : ProcessorOperator(context)
{
    public override IReadOnlyList<string> OutputPorts => options.Routes;

    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken) =>
        output.EmitAsync(options.Routes[0], batch, cancellationToken);
}

public sealed class CollectingSinkOptions
{
    /// <summary>Wait for the named gate before each write.</summary>
    public string? Gate { get; set; }
}

/// <summary>Keeps what it receives; optionally waits at a gate before each write (a slow or stalled sink).</summary>
public sealed class CollectingSink(CollectingSinkOptions options, OperatorContext context, TestState state) : SinkOperator(context)
{
    public override async ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        if (options.Gate is { } gate)
        {
            await state.Gate(gate).Task.WaitAsync(cancellationToken);
        }

        state.Received(Context.Id, batch);
    }
}

/// <summary>Shared by the test operators of one test: gates, and what each sink received.</summary>
public sealed class TestState
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<TelemetryBatch>> _received = new();
    private readonly ConcurrentDictionary<string, long> _emitted = new();

    public ConcurrentQueue<AcknowledgementTracker> Trackers { get; } = new();

    public TaskCompletionSource Gate(string name) =>
        _gates.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Open(string name) => Gate(name).TrySetResult();

    public void Received(string sink, TelemetryBatch batch) => _received.GetOrAdd(sink, _ => new()).Enqueue(batch);

    public IReadOnlyList<TelemetryBatch> ReceivedBy(string sink) => _received.TryGetValue(sink, out var q) ? q.ToArray() : [];

    public long ItemsReceivedBy(string sink) => ReceivedBy(sink).Sum(b => (long)b.ItemCount);

    public void Emitted(string source, long items) => _emitted.AddOrUpdate(source, items, (_, n) => n + items);

    public long EmittedBy(string source) => _emitted.GetValueOrDefault(source);
}

public static class TestData
{
    public static ExportTraceServiceRequest Traces(int spans, int seq, string name)
    {
        var scope = new ScopeSpans();
        for (var i = 0; i < spans; i++)
        {
            scope.Spans.Add(new Span
            {
                TraceId = ByteString.CopyFrom(BitConverter.GetBytes((long)seq).Concat(BitConverter.GetBytes((long)i + 1)).ToArray()),
                SpanId = ByteString.CopyFrom(BitConverter.GetBytes(((long)seq << 20) + i + 1)),
                Name = i == 0 ? name : $"{name}-{i}",
                StartTimeUnixNano = 1,
                EndTimeUnixNano = 2,
            });
        }

        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { scope } } } };
    }
}
