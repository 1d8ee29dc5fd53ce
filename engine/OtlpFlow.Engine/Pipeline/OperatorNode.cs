using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Pipeline;

/// <summary>
/// One operator inside a running pipeline: its input block, its output ports and its completion.
/// The engine moves data itself (awaited <c>SendAsync</c> to each linked input) instead of Dataflow
/// links, which gives fan-out with backpressure and fan-in completion without BroadcastBlock or
/// PropagateCompletion.
/// </summary>
internal sealed partial class OperatorNode : IOperatorOutput
{
    private readonly RunningPipeline _pipeline;
    private readonly Dictionary<string, Edge[]> _ports = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<TelemetryBatch, byte> _held = new(ReferenceEqualityComparer.Instance);
    private int _pendingUpstream;
    private bool? _mutatesDownstream;
    private int _heldPruneAt = 64;
    private SemaphoreSlim? _turn;
    private TickRunner? _ticks;

    public OperatorNode(RunningPipeline pipeline, OperatorSpec spec, OperatorBase op, int capacity, int parallelism, bool ordered, TaskScheduler? scheduler)
    {
        Scheduler = scheduler;
        _pipeline = pipeline;
        Spec = spec;
        Operator = op;
        Capacity = capacity;
        Parallelism = parallelism;
        Ordered = ordered;
        foreach (var port in op.OutputPorts)
        {
            _ports[port] = [];
        }

        _ports[IOperatorOutput.DroppedPort] = [];
        op.Context.Ports = IsLinked;
        op.Context.Node = this;
    }

    public OperatorSpec Spec { get; }

    /// <summary>Where the operator's work runs; null for the default (thread pool).</summary>
    public TaskScheduler? Scheduler { get; }

    public string Id => Spec.Id;

    public OperatorBase Operator { get; }

    public int Capacity { get; }

    public int Parallelism { get; }

    public bool Ordered { get; }

    public OperatorCounters Counters { get; } = new();

    public ITargetBlock<TelemetryBatch>? Input { get; private set; }

    /// <summary>Completes when the input block has handled everything it accepted.</summary>
    public Task InputCompletion { get; private set; } = Task.CompletedTask;

    /// <summary>Queued batches, for the queue-depth metric.</summary>
    public Func<int> QueueDepth { get; private set; } = static () => 0;

    public List<OperatorNode> Downstream { get; } = [];

    /// <summary>
    /// True when this operator or any operator after it changes data in place. Operators between
    /// (a filter, a batcher) pass on objects they share with their input, so a fan-out must copy
    /// for a branch that mutates anywhere down its path, not only at its first operator.
    /// </summary>
    public bool MutatesDownstream => _mutatesDownstream ??= Operator.MutatesData || Downstream.Any(d => d.MutatesDownstream);

    public void Link(string port, OperatorNode target)
    {
        _ports[port] = [.. _ports[port], new Edge(target)];
        if (!Downstream.Contains(target))
        {
            Downstream.Add(target);
            target._pendingUpstream++;
        }
    }

    /// <summary>Called when an upstream operator finished; the last one completes this operator's input (fan-in, guarantee 3).</summary>
    public void UpstreamCompleted()
    {
        if (Interlocked.Decrement(ref _pendingUpstream) == 0)
        {
            Input?.Complete();
        }
    }

    public void CreateInput(CancellationToken abortToken)
    {
        if (Operator.Kind == OperatorKind.Source)
        {
            return;
        }

        if (Operator is ProcessorOperator { HasTicks: true })
        {
            _turn = new SemaphoreSlim(1, 1);
        }

        var options = new ExecutionDataflowBlockOptions
        {
            BoundedCapacity = Capacity,
            MaxDegreeOfParallelism = Parallelism,
            EnsureOrdered = Ordered,
            SingleProducerConstrained = false,
            TaskScheduler = Scheduler ?? TaskScheduler.Default,
        };

        if (Parallelism > 1 && Ordered)
        {
            // Batches run in parallel but their results leave in arrival order: the transform runs
            // the operator against a recording output, and one emitter replays the results in order.
            var transform = new TransformBlock<TelemetryBatch, BufferedCall>(
                async batch =>
                {
                    var call = new BufferedCall(this, buffered: true);
                    await ProcessAsync(call.For(batch), batch, abortToken).ConfigureAwait(false);
                    return call;
                },
                options);
            var emitter = new ActionBlock<BufferedCall>(
                call => call.ReplayAsync(abortToken),
                new ExecutionDataflowBlockOptions { BoundedCapacity = Parallelism, SingleProducerConstrained = true });
            transform.LinkTo(emitter, new DataflowLinkOptions { PropagateCompletion = true });
            Input = transform;
            InputCompletion = emitter.Completion;
            QueueDepth = () => transform.InputCount;
            return;
        }

        // One at a time, calls can share one output object: no allocation per batch.
        var shared = Parallelism == 1 ? new BufferedCall(this, buffered: false) : null;
        var block = new ActionBlock<TelemetryBatch>(
            batch => ProcessAsync((shared ?? new BufferedCall(this, buffered: false)).For(batch), batch, abortToken),
            options);
        Input = block;
        InputCompletion = block.Completion;
        QueueDepth = () => block.InputCount;
    }

    /// <summary>
    /// Waits for the input to end, stops the ticks, and lets the operator flush what it holds,
    /// through a call-scoped output like any other call.
    /// </summary>
    public async Task DrainAsync(CancellationToken abortToken)
    {
        await InputCompletion.ConfigureAwait(false);
        await StopTicksAsync().ConfigureAwait(false);
        switch (Operator)
        {
            case ProcessorOperator processor:
                await FlushAsync(processor, abortToken).ConfigureAwait(false);
                break;
            case SinkOperator sink:
                await sink.FlushAsync(abortToken).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Runs a processor's flush (this operator's, or a nested stage's) through a call-scoped output of this operator.</summary>
    internal async Task FlushAsync(ProcessorOperator processor, CancellationToken cancellationToken)
    {
        var call = new BufferedCall(this, buffered: false).For(null);
        Exception? error = null;
        try
        {
            await processor.FlushAsync(call, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ex;
            throw;
        }
        finally
        {
            call.Finish(error);
        }
    }

    /// <summary>
    /// Runs the operator on one batch in its turn (when it has ticks), with the guarantees of
    /// <see cref="CallAsync"/>, and records how long it took.
    /// </summary>
    private async Task ProcessAsync(BufferedCall call, TelemetryBatch batch, CancellationToken abortToken)
    {
        if (abortToken.IsCancellationRequested)
        {
            Counters.CountDropped(batch.ItemCount, "aborted");
            call.Finish(new OperationCanceledException("The pipeline was aborted before this batch was processed."));
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var turn = _turn;
        if (turn is not null)
        {
            try
            {
                await turn.WaitAsync(abortToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex)
            {
                Counters.CountDropped(batch.ItemCount, "aborted");
                call.Finish(ex);
                return;
            }
        }

        try
        {
            await CallAsync(Operator as ProcessorOperator, Id, call, batch, abortToken).ConfigureAwait(false);
        }
        finally
        {
            turn?.Release();
            _pipeline.Metrics.RecordProcessing(Id, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>
    /// One call with the engine's guarantees: a per-batch error fails that batch only (guarantee 4)
    /// and is counted, a fault stops the pipeline, and what the call owned (the input, the batches
    /// derived from it) is settled when it ends unless it was passed on or retained. With no
    /// processor, this operator is a sink and the call is its write.
    /// </summary>
    private async Task CallAsync(ProcessorOperator? processor, string who, BufferedCall call, TelemetryBatch batch, CancellationToken abortToken)
    {
        Exception? error = null;
        try
        {
            if (processor is null)
            {
                await ((SinkOperator)Operator).WriteAsync(batch, abortToken).ConfigureAwait(false);

                // A sink's "out" is what it delivered.
                Counters.CountOut(batch.ItemCount);
            }
            else
            {
                await processor.ProcessAsync(batch, call, abortToken).ConfigureAwait(false);
            }
        }
        catch (OperatorFaultException ex)
        {
            error = ex;
            CountLost(call, batch, "error");
            _pipeline.Fault(this, ex);
        }
        catch (OperationCanceledException ex) when (abortToken.IsCancellationRequested)
        {
            error = ex;
            CountLost(call, batch, "aborted");
        }
        catch (Exception ex)
        {
            error = ex;
            Counters.CountError();
            CountLost(call, batch, PermanentFailureException.IsPermanent(ex) ? "rejected" : "error");
            LogBatchFailed(_pipeline.Logger, who, batch.ItemCount, ex);
            _pipeline.Publish(PipelineEventKind.BatchFailed, Id, $"operator '{who}': a batch of {batch.ItemCount} items failed: {ex.Message}");
        }
        finally
        {
            call.Finish(error);
        }
    }

    /// <summary>Counts as dropped the items of a failed call that it had not sent or counted itself.</summary>
    private void CountLost(BufferedCall call, TelemetryBatch batch, string reason)
    {
        var lost = Math.Max(0, batch.ItemCount - call.ItemsAccounted);
        Counters.CountDropped(lost, reason);
        call.MarkAccounted(lost);
    }

    /// <summary>Runs one call of a nested stage (<see cref="NestedStage"/>): its output is this operator's ports, with the guarantees of any call.</summary>
    internal Task RunNestedAsync(ProcessorOperator stage, TelemetryBatch batch, CancellationToken cancellationToken) =>
        CallAsync(stage, $"{Id}/{stage.Context.Id}", new BufferedCall(this, buffered: false).For(batch), batch, cancellationToken);

    // --- Ticks: periodic work the engine runs in turn with ProcessAsync. ---

    /// <summary>Starts the tick loop of an operator that has ticks; call after its StartAsync.</summary>
    public void StartTicks(CancellationToken abortToken)
    {
        if (Operator is ProcessorOperator { HasTicks: true } processor)
        {
            _ticks = TickRunner.Start(this, processor, _turn!, abortToken);
        }
    }

    /// <summary>Stops the ticks and waits for a running one to end.</summary>
    private Task StopTicksAsync() => _ticks?.StopAsync() ?? Task.CompletedTask;

    /// <summary>Counts, logs and publishes a tick that threw.</summary>
    internal void TickFailed(string operatorId, Exception error)
    {
        Counters.CountTickError();
        LogTickFailed(_pipeline.Logger, operatorId, error);
        _pipeline.Publish(PipelineEventKind.TickFailed, Id, $"operator '{operatorId}': a tick failed: {error.Message}");
    }

    /// <summary>Stops the pipeline for a fatal error of this operator (or of one of its stages).</summary>
    internal void Fault(Exception error) => _pipeline.Fault(this, error);

    /// <summary>The pipeline's abort token, for work this operator runs on its own (a stage's ticks).</summary>
    internal CancellationToken AbortToken => _pipeline.AbortToken;

    // --- Held batches: retained past their call; the engine fails what is still held at the end. ---

    internal void Hold(TelemetryBatch batch)
    {
        batch.HeldBy = this;
        _held.TryAdd(batch, 0);
        if (_held.Count >= Volatile.Read(ref _heldPruneAt))
        {
            // Batches merged into others are settled without passing through an output.
            foreach (var held in _held.Keys)
            {
                if (held.Ack.IsSettled)
                {
                    _held.TryRemove(held, out _);
                }
            }

            Volatile.Write(ref _heldPruneAt, Math.Max(64, _held.Count * 2));
        }
    }

    private void Release(TelemetryBatch batch)
    {
        if (batch.HeldBy == this)
        {
            batch.HeldBy = null;
            _held.TryRemove(batch, out _);
        }
    }

    /// <summary>
    /// Fails every batch the operator retained and never passed on, once it has ended (drained,
    /// stopped or aborted): its clients hear that the data was lost instead of waiting for ever.
    /// </summary>
    public async Task EndAsync()
    {
        await StopTicksAsync().ConfigureAwait(false);
        foreach (var batch in _held.Keys)
        {
            _held.TryRemove(batch, out _);
            if (!batch.Ack.IsSettled)
            {
                Counters.CountDropped(batch.ItemCount, "abandoned");
                batch.Ack.Fail(batch.ItemCount, new InvalidOperationException($"operator '{Id}' ended while still holding this batch"));
            }
        }

        _turn?.Dispose();
    }

    // --- IOperatorOutput: the node's ports, used by sources and by the calls' outputs. ---

    public ValueTask EmitAsync(TelemetryBatch batch, CancellationToken cancellationToken = default) =>
        EmitAsync(IOperatorOutput.DefaultPort, batch, cancellationToken);

    public async ValueTask EmitAsync(string port, TelemetryBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!_ports.TryGetValue(port, out var edges))
        {
            throw new ArgumentException($"operator '{Id}' has no port '{port}' (ports: {string.Join(", ", _ports.Keys)})", nameof(port));
        }

        Release(batch);
        if (Operator.Kind == OperatorKind.Source)
        {
            // Once a source hands a batch over, it is in flight: a stop drains it instead of
            // cancelling the send, and only an abort (drain deadline, fault) gives up on it.
            cancellationToken = _pipeline.AbortToken;
            Counters.CountCreated(batch.ItemCount); // a source makes what it emits
            if (batch.Ack.IsNone)
            {
                batch = await TrackAsync(batch, cancellationToken).ConfigureAwait(false);
            }
        }

        if (edges.Length == 0)
        {
            Counters.CountDropped(batch.ItemCount, "unrouted");
            batch.Ack.Refuse(batch.ItemCount, $"port '{Id}.{port}' is not linked");
            return;
        }

        Counters.CountOut(batch.ItemCount);
        await SendAsync(edges, batch, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DropAsync(TelemetryBatch batch, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Release(batch);
        Counters.CountDropped(batch.ItemCount, reason);
        var edges = _ports[IOperatorOutput.DroppedPort];
        if (edges.Length == 0)
        {
            batch.Ack.Refuse(batch.ItemCount, reason);
            return;
        }

        await SendAsync(edges, batch, cancellationToken).ConfigureAwait(false);
    }

    public void CountDropped(long items, string reason) => Counters.CountDropped(items, reason);

    public void CountReturned(long items) => Counters.CountReturned(items);

    public void CountCreated(long items) => Counters.CountCreated(items);

    public bool IsLinked(string port) => _ports.TryGetValue(port, out var edges) && edges.Length > 0;

    /// <summary>Gives a source's batch an acknowledgement tracker and reserves its bytes in the memory budget (guarantee 7).</summary>
    private async ValueTask<TelemetryBatch> TrackAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        var size = batch.SizeBytes;
        await _pipeline.Memory.ReserveAsync(size, cancellationToken).ConfigureAwait(false);
        var (share, _) = Acknowledgement.Create(size, _pipeline.ReleaseMemory);
        batch.AttachAcknowledgement(share);
        return batch;
    }

    /// <summary>
    /// Sends to every linked input, awaiting room in each (guarantees 1 and 2). Each extra target gets
    /// its own acknowledgement share; an operator that mutates data gets its own copy when the data
    /// is shared. The original goes last so its share is never settled before the forks are taken.
    /// A send that fails (the pipeline aborts) fails the batch's clients.
    /// </summary>
    private async ValueTask SendAsync(Edge[] edges, TelemetryBatch batch, CancellationToken cancellationToken)
    {
        var shared = edges.Length > 1;
        for (var i = 0; i < edges.Length; i++)
        {
            var target = edges[i].Target;
            var needsCopy = shared && target.MutatesDownstream;
            TelemetryBatch toSend;
            if (i < edges.Length - 1)
            {
                toSend = batch.Fork(needsCopy);
            }
            else if (needsCopy)
            {
                toSend = batch.Fork(clonePayload: true);
                batch.Ack.Deliver();
            }
            else
            {
                toSend = batch;
            }

            try
            {
                await target.AcceptAsync(toSend, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The targets not reached yet never got their share: the batch's clients must hear.
                batch.Ack.Fail(batch.ItemCount, ex);
                throw;
            }
        }
    }

    private async ValueTask AcceptAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        // Count before sending: once accepted, the batch may be processed and counted out at once.
        Counters.CountIn(batch.ItemCount);
        bool accepted;
        try
        {
            accepted = await Input!.SendAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex)
        {
            Counters.CountDropped(batch.ItemCount, "aborted");
            batch.Ack.Fail(batch.ItemCount, ex);
            throw;
        }

        if (!accepted)
        {
            // Only a completed or faulted block declines; the pipeline is already stopping then.
            Counters.CountDropped(batch.ItemCount, "closed");
            batch.Ack.Fail(batch.ItemCount, new InvalidOperationException($"operator '{Id}' no longer accepts data"));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': a batch of {Items} items failed")]
    private static partial void LogBatchFailed(ILogger logger, string operatorId, int items, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': a tick failed")]
    private static partial void LogTickFailed(ILogger logger, string operatorId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': a call ended without emitting or dropping {Items} items it derived; they are counted as dropped (unemitted)")]
    private static partial void LogUnemitted(ILogger logger, string operatorId, int items);

    private readonly record struct Edge(OperatorNode Target);

    /// <summary>
    /// The output an operator sees during one call (<c>ProcessAsync</c>, <c>TickAsync</c>,
    /// <c>FlushAsync</c>). It owns what the call made: the input and the batches derived from it
    /// stay owned until emitted, dropped or retained, and <see cref="Finish"/> settles the rest. In
    /// buffered mode it records the emissions for in-order replay.
    /// </summary>
    internal sealed class BufferedCall(OperatorNode node, bool buffered) : IOperatorOutput
    {
        private readonly List<TelemetryBatch> _owned = [];
        private List<(string? Port, TelemetryBatch Batch, string? Reason)>? _pending;
        private TelemetryBatch? _input;

        public long ItemsAccounted { get; private set; }

        /// <summary>Starts a call for <paramref name="input"/>, or for none (a tick, a flush); a shared instance is reset here.</summary>
        public BufferedCall For(TelemetryBatch? input)
        {
            _owned.Clear();
            _pending?.Clear();
            _input = input;
            ItemsAccounted = 0;
            if (input is not null)
            {
                input.Scope = this;
                _owned.Add(input);
            }

            return this;
        }

        /// <summary>Takes ownership of a batch derived during the call.</summary>
        public void Track(TelemetryBatch derived)
        {
            derived.Scope = this;
            _owned.Add(derived);
        }

        /// <summary>Hands a batch the call owned to the operator, to be passed on later.</summary>
        public void Retain(TelemetryBatch batch)
        {
            Disown(batch);
            node.Hold(batch);
        }

        public void MarkAccounted(long items) => ItemsAccounted += items;

        /// <summary>
        /// Ends the call: settles what it still owns. After an exception everything owned fails
        /// with it; otherwise the input's share is released (the operator consumed it), as is a
        /// derived batch split further, and a derived batch that went nowhere is counted as dropped.
        /// </summary>
        public void Finish(Exception? error)
        {
            for (var i = _owned.Count - 1; i >= 0; i--)
            {
                var batch = _owned[i];
                if (batch.Scope == this)
                {
                    batch.Scope = null;
                }

                if (error is not null)
                {
                    batch.Ack.Fail(batch.ItemCount, error);
                }
                else if (ReferenceEquals(batch, _input) || batch.HasDerived)
                {
                    // Consumed: the operator kept what it needed, or split it into batches derived from it.
                    batch.Ack.Deliver();
                }
                else if (!batch.Ack.IsSettled)
                {
                    node.Counters.CountDropped(batch.ItemCount, "unemitted");
                    batch.Ack.Refuse(batch.ItemCount, $"operator '{node.Id}' did not emit it");
                    LogUnemitted(node._pipeline.Logger, node.Id, batch.ItemCount);
                }
            }

            _owned.Clear();
            _input = null;
        }

        public ValueTask EmitAsync(TelemetryBatch batch, CancellationToken cancellationToken = default) =>
            EmitAsync(IOperatorOutput.DefaultPort, batch, cancellationToken);

        public ValueTask EmitAsync(string port, TelemetryBatch batch, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(batch);
            Note(batch);
            if (buffered)
            {
                (_pending ??= []).Add((port, batch, null));
                return ValueTask.CompletedTask;
            }

            return node.EmitAsync(port, batch, cancellationToken);
        }

        public ValueTask DropAsync(TelemetryBatch batch, string reason, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(batch);
            Note(batch);
            if (buffered)
            {
                (_pending ??= []).Add((null, batch, reason));
                return ValueTask.CompletedTask;
            }

            return node.DropAsync(batch, reason, cancellationToken);
        }

        public void CountDropped(long items, string reason)
        {
            ItemsAccounted += items;
            node.CountDropped(items, reason);
        }

        public void CountReturned(long items) => node.CountReturned(items);

        public void CountCreated(long items) => node.CountCreated(items);

        public bool IsLinked(string port) => node.IsLinked(port);

        public async Task ReplayAsync(CancellationToken cancellationToken)
        {
            if (_pending is null)
            {
                return;
            }

            for (var i = 0; i < _pending.Count; i++)
            {
                var (port, batch, reason) = _pending[i];
                try
                {
                    if (port is null)
                    {
                        await node.DropAsync(batch, reason!, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await node.EmitAsync(port, batch, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException ex)
                {
                    // Aborted mid-replay: what was not sent is lost, and its clients must hear so.
                    for (var j = i + 1; j < _pending.Count; j++)
                    {
                        var lost = _pending[j].Batch;
                        node.Counters.CountDropped(lost.ItemCount, "aborted");
                        lost.Ack.Fail(lost.ItemCount, ex);
                    }

                    return;
                }
            }
        }

        private void Note(TelemetryBatch batch)
        {
            ItemsAccounted += batch.ItemCount;
            Disown(batch);
        }

        private void Disown(TelemetryBatch batch)
        {
            for (var i = _owned.Count - 1; i >= 0; i--)
            {
                if (ReferenceEquals(_owned[i], batch))
                {
                    _owned.RemoveAt(i);
                    if (batch.Scope == this)
                    {
                        batch.Scope = null;
                    }

                    return;
                }
            }
        }
    }
}
