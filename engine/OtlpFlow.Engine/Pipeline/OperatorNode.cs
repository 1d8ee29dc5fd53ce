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
    private int _pendingUpstream;
    private bool? _mutatesDownstream;

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
        if (Operator is not ProcessorOperator processor)
        {
            return;
        }

        processor.AttachOutput(this);
        var options = new ExecutionDataflowBlockOptions
        {
            BoundedCapacity = Capacity,
            MaxDegreeOfParallelism = Parallelism,
            EnsureOrdered = Ordered,
            SingleProducerConstrained = false,
            TaskScheduler = Scheduler ?? TaskScheduler.Default,
        };

        if (processor.CreateBlock(this, options) is { } custom)
        {
            Input = custom;
            InputCompletion = custom.Completion;
            QueueDepth = custom is ActionBlock<TelemetryBatch> action ? () => action.InputCount : static () => 0;
            return;
        }

        if (Parallelism > 1 && Ordered)
        {
            // Batches run in parallel but their results leave in arrival order: the transform runs
            // the operator against a recording output, and one emitter replays the results in order.
            var transform = new TransformBlock<TelemetryBatch, BufferedCall>(
                async batch =>
                {
                    var call = new BufferedCall(this, buffered: true);
                    await ProcessAsync(processor, call.For(batch), batch, abortToken).ConfigureAwait(false);
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
            batch => ProcessAsync(processor, (shared ?? new BufferedCall(this, buffered: false)).For(batch), batch, abortToken),
            options);
        Input = block;
        InputCompletion = block.Completion;
        QueueDepth = () => block.InputCount;
    }

    /// <summary>
    /// Runs the operator on one batch with the engine's guarantees: per-batch errors fail that batch
    /// only (guarantee 4), and the input's acknowledgement share is released unless it was passed on.
    /// </summary>
    private async Task ProcessAsync(ProcessorOperator processor, BufferedCall call, TelemetryBatch batch, CancellationToken abortToken)
    {
        if (abortToken.IsCancellationRequested)
        {
            Counters.CountDropped(batch.ItemCount, "aborted");
            batch.Ack.Fail(batch.ItemCount, new OperationCanceledException("The pipeline was aborted before this batch was processed."));
            return;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            await processor.ProcessAsync(batch, call, abortToken).ConfigureAwait(false);
            if (processor.Kind == OperatorKind.Sink && !call.InputPassedOn)
            {
                // A sink's "out" is what it delivered: the batch less what it refused itself.
                Counters.CountOut(Math.Max(0, batch.ItemCount - call.ItemsAccounted));
            }
        }
        catch (Exception ex) when (ex is not OperatorFaultException && !(ex is OperationCanceledException && abortToken.IsCancellationRequested))
        {
            Counters.CountError();
            var lost = Math.Max(0, batch.ItemCount - call.ItemsAccounted);
            Counters.CountDropped(lost, "error");
            if (!call.InputPassedOn)
            {
                batch.Ack.Fail(batch.ItemCount, ex);
            }

            LogBatchFailed(_pipeline.Logger, Id, batch.ItemCount, ex);
            _pipeline.Publish(PipelineEventKind.BatchFailed, Id, $"a batch of {batch.ItemCount} items failed: {ex.Message}");
        }
        catch (OperationCanceledException ex)
        {
            Counters.CountDropped(Math.Max(0, batch.ItemCount - call.ItemsAccounted), "aborted");
            if (!call.InputPassedOn)
            {
                batch.Ack.Fail(batch.ItemCount, ex);
            }
        }
        catch (OperatorFaultException ex)
        {
            Counters.CountDropped(Math.Max(0, batch.ItemCount - call.ItemsAccounted), "error");
            if (!call.InputPassedOn)
            {
                batch.Ack.Fail(batch.ItemCount, ex);
            }

            _pipeline.Fault(this, ex);
        }
        finally
        {
            if (!call.InputPassedOn)
            {
                batch.Ack.Deliver();
            }

            _pipeline.Metrics.RecordProcessing(Id, Stopwatch.GetElapsedTime(started));
        }
    }

    // --- IOperatorOutput: the node's ports, used directly by sources and custom blocks. ---

    public ValueTask EmitAsync(TelemetryBatch batch, CancellationToken cancellationToken = default) =>
        EmitAsync(IOperatorOutput.DefaultPort, batch, cancellationToken);

    public async ValueTask EmitAsync(string port, TelemetryBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!_ports.TryGetValue(port, out var edges))
        {
            throw new ArgumentException($"operator '{Id}' has no port '{port}' (ports: {string.Join(", ", _ports.Keys)})", nameof(port));
        }

        if (Operator.Kind == OperatorKind.Source)
        {
            // Once a source hands a batch over, it is in flight: a stop drains it instead of
            // cancelling the send, and only an abort (drain deadline, fault) gives up on it.
            cancellationToken = _pipeline.AbortToken;
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

            await target.AcceptAsync(toSend, cancellationToken).ConfigureAwait(false);
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

    private readonly record struct Edge(OperatorNode Target);

    /// <summary>
    /// The output an operator sees during one call: it tracks whether the input batch itself was
    /// passed on and how many of its items were accounted for, and in buffered mode records the
    /// emissions for in-order replay.
    /// </summary>
    internal sealed class BufferedCall(OperatorNode node, bool buffered) : IOperatorOutput
    {
        private List<(string? Port, TelemetryBatch Batch, string? Reason)>? _pending;
        private TelemetryBatch? _input;

        public bool InputPassedOn { get; private set; }

        public long ItemsAccounted { get; private set; }

        /// <summary>Starts a call for <paramref name="input"/> (a shared instance is reset here).</summary>
        public BufferedCall For(TelemetryBatch input)
        {
            _input = input;
            InputPassedOn = false;
            ItemsAccounted = 0;
            return this;
        }

        public ValueTask EmitAsync(TelemetryBatch batch, CancellationToken cancellationToken = default) =>
            EmitAsync(IOperatorOutput.DefaultPort, batch, cancellationToken);

        public ValueTask EmitAsync(string port, TelemetryBatch batch, CancellationToken cancellationToken = default)
        {
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
            if (ReferenceEquals(batch, _input))
            {
                InputPassedOn = true;
            }
        }
    }
}
