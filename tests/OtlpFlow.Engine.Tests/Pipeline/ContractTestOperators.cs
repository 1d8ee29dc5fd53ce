using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Tests.Pipeline;

// Operators that exercise the operator contract: what a call owns, ticks, created items, sinks, stages.

/// <summary>Derives a batch from each input and returns without emitting it (a bug the engine must contain).</summary>
public sealed class DeriveAndForget(OperatorContext context) : ProcessorOperator(context)
{
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        _ = batch.Derive(batch.Traces!.Clone());
        return ValueTask.CompletedTask;
    }
}

/// <summary>Derives a batch, then throws before emitting it.</summary>
public sealed class DeriveThenThrow(OperatorContext context) : ProcessorOperator(context)
{
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        _ = batch.Derive(batch.Traces!.Clone());
        throw new InvalidOperationException("lost its way after deriving");
    }
}

/// <summary>Retains every batch and never emits it.</summary>
public sealed class Keeper(OperatorContext context) : ProcessorOperator(context)
{
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        batch.Retain();
        return ValueTask.CompletedTask;
    }
}

public sealed class TickerOptions
{
    /// <summary>The tick whose number this is (1-based) throws.</summary>
    public int ThrowOnTick { get; set; }
}

/// <summary>
/// Retains batches and emits them from a tick every second, with no lock of its own; records
/// whether a tick ever overlapped a call, and what ran after the flush.
/// </summary>
public sealed class Ticker(TickerOptions options, OperatorContext context, ContractState state) : ProcessorOperator(context)
{
    private readonly Queue<TelemetryBatch> _held = new();
    private int _busy;
    private int _ticks;
    private bool _flushed;

    public override TimeSpan TickInterval => TimeSpan.FromSeconds(1);

    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        Enter();
        await Task.Yield();
        _held.Enqueue(batch.Retain());
        state.Calls.Enqueue("process");
        Exit();
    }

    public override async ValueTask TickAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        Enter();
        try
        {
            var tick = ++_ticks;
            state.Calls.Enqueue(_flushed ? "tick-after-flush" : "tick");
            if (tick == options.ThrowOnTick)
            {
                throw new InvalidOperationException("tick trouble");
            }

            while (_held.TryDequeue(out var batch))
            {
                await output.EmitAsync(batch, cancellationToken);
            }

            state.TickDone();
        }
        finally
        {
            Exit();
        }
    }

    public override async ValueTask FlushAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        _flushed = true;
        state.Calls.Enqueue("flush");
        while (_held.TryDequeue(out var batch))
        {
            await output.EmitAsync(batch, cancellationToken);
        }
    }

    public int Held => _held.Count;

    private void Enter()
    {
        if (Interlocked.Increment(ref _busy) > 1)
        {
            state.Overlapped = true;
        }
    }

    private void Exit() => Interlocked.Decrement(ref _busy);
}

public sealed class DuplicatorOptions
{
    /// <summary>Count the copies as created (honest conservation).</summary>
    public bool CountCreated { get; set; }
}

/// <summary>Emits every batch twice: the input and a derived copy.</summary>
public sealed class Duplicator(DuplicatorOptions options, OperatorContext context) : ProcessorOperator(context)
{
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        var copy = batch.Derive(batch.Traces!.Clone());
        if (options.CountCreated)
        {
            output.CountCreated(copy.ItemCount);
        }

        await output.EmitAsync(batch, cancellationToken);
        await output.EmitAsync(copy, cancellationToken);
    }
}

/// <summary>A sink that refuses batches whose first span is "boom" as permanent failures, and writes the rest.</summary>
public sealed class RejectingSink(OperatorContext context) : SinkOperator(context)
{
    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken) =>
        batch.Traces!.ResourceSpans[0].ScopeSpans[0].Spans[0].Name == "boom"
            ? throw new PermanentFailureException("a unique key is already present")
            : ValueTask.CompletedTask;
}

public sealed class StagedOptions
{
    public JsonObject Stage { get; set; } = [];
}

/// <summary>Runs a nested stage inline for each batch (what workStealing does per worker).</summary>
public sealed class Staged : ProcessorOperator
{
    private readonly NestedStage _stage;

    public Staged(StagedOptions options, OperatorContext context) : base(context) =>
        _stage = NestedStage.Create(context, options.Stage, "inner");

    public override IReadOnlyList<string> OutputPorts => _stage.Operator.OutputPorts;

    public override Task StartAsync(CancellationToken cancellationToken) => _stage.StartAsync(cancellationToken);

    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken) =>
        new(_stage.ProcessAsync(batch.Retain(), cancellationToken));

    public override ValueTask FlushAsync(IOperatorOutput output, CancellationToken cancellationToken) => new(_stage.FlushAsync(cancellationToken));

    public override async ValueTask DisposeAsync()
    {
        await _stage.DisposeAsync();
        await base.DisposeAsync();
    }
}

/// <summary>Sends every batch on observed: records each outcome downstream.</summary>
public sealed class Observer(OperatorContext context, ContractState state) : ProcessorOperator(context)
{
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken) =>
        output.EmitAsync(batch.Observed(state.Outcomes.Enqueue), cancellationToken);
}

/// <summary>
/// A source fed by an in-memory "server": requests posted to <see cref="ContractState.Server"/> are
/// handled on another thread, which sends them through the output the engine handed over.
/// </summary>
public sealed class ChannelServerSource(OperatorContext context, ContractState state) : ServerSourceOperator(context)
{
    private readonly TaskCompletionSource<IOperatorOutput> _accepted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _serving = Task.CompletedTask;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _serving = Task.Run(ServeAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    protected override void Accept(IOperatorOutput output)
    {
        state.Calls.Enqueue("accept");
        _accepted.TrySetResult(output);
    }

    protected override async Task StopAcceptingAsync()
    {
        state.Calls.Enqueue("stop-accepting");
        state.Server.Writer.TryComplete();
        await _serving;
    }

    private async Task ServeAsync()
    {
        await foreach (var request in state.Server.Reader.ReadAllAsync())
        {
            // A request that comes before the pipeline runs waits here for the output.
            var output = await _accepted.Task;
            await output.EmitAsync(TelemetryBatch.Create(request));
        }
    }
}

/// <summary>What the contract operators of one test report.</summary>
public sealed class ContractState
{
    private TaskCompletionSource _tick = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<string> Calls { get; } = new();

    public ConcurrentQueue<AcknowledgementResult> Outcomes { get; } = new();

    public System.Threading.Channels.Channel<OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest> Server { get; } =
        System.Threading.Channels.Channel.CreateUnbounded<OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest>();

    public bool Overlapped { get; set; }

    /// <summary>Completes when the next tick finishes.</summary>
    public Task NextTick => Volatile.Read(ref _tick).Task;

    public void TickDone() => Interlocked.Exchange(ref _tick, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
