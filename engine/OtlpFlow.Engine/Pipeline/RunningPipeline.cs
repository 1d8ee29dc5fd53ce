using System.Diagnostics.Metrics;
using System.Reactive.Subjects;
using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Plugins;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Pipeline;

/// <summary>
/// A built pipeline: operators linked by bounded edges. <see cref="StartAsync"/> lets data flow;
/// <see cref="Completion"/> completes once every source has finished and the graph has drained, or
/// faults with <see cref="PipelineFaultedException"/> naming the operator that failed;
/// <see cref="StopAsync"/> drains gracefully within a deadline.
/// </summary>
public sealed partial class RunningPipeline : IAsyncDisposable
{
    private readonly List<OperatorNode> _nodes = [];
    private readonly Dictionary<string, TaskScheduler> _schedulers = new(StringComparer.Ordinal);
    private IReadOnlyList<string>? _operatorIds;
    private Dictionary<string, OperatorCounters>? _counters;
    private Dictionary<string, OperatorBase>? _operators;
    private Dictionary<string, OperatorNode>? _nodesById;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Subject<PipelineEvent> _events = new();
    private readonly TimeProvider _timeProvider;
    private (string OperatorId, Exception Error)? _fault;
    private int _started;
    private int _disposed;

    internal RunningPipeline(PipelineSpec spec, ILogger logger, TimeProvider timeProvider)
    {
        Name = spec.Name;
        DrainTimeout = spec.DrainTimeout;
        // With a memoryLimit the budget also guards the process's real memory, on the pipeline's clock.
        Memory = new MemoryBudget(spec.MemoryLimitBytes, new MemoryGuardOptions { TimeProvider = timeProvider });
        Logger = logger;
        _timeProvider = timeProvider;
        Metrics = new EngineMetrics(this);
        ReleaseMemory = (tracker, _) => Memory.Release(tracker.SizeBytes);
    }

    /// <summary>The pipeline's name.</summary>
    public string Name { get; }

    /// <summary>How long <see cref="StopAsync"/> drains by default.</summary>
    public TimeSpan DrainTimeout { get; }

    /// <summary>The pipeline-wide budget of in-flight bytes, and the guard of the process's real memory when <c>memoryLimit</c> is set.</summary>
    public MemoryBudget Memory { get; }

    // The graph is fixed once built: the views below are made on first use and kept.

    /// <summary>Operator ids in file order.</summary>
    public IReadOnlyList<string> OperatorIds => _operatorIds ??= _nodes.Select(n => n.Id).ToArray();

    /// <summary>Conservation counters by operator id.</summary>
    public IReadOnlyDictionary<string, OperatorCounters> Counters =>
        _counters ??= _nodes.ToDictionary(n => n.Id, n => n.Counters, StringComparer.Ordinal);

    /// <summary>The operator instances by id (for hosts and tests that inspect them).</summary>
    public IReadOnlyDictionary<string, OperatorBase> Operators =>
        _operators ??= _nodes.ToDictionary(n => n.Id, n => n.Operator, StringComparer.Ordinal);

    /// <summary>Control-plane events: start, operator completions, failed batches, faults, stop.</summary>
    public IObservable<PipelineEvent> Events => _events;

    /// <summary>Completes when the pipeline has finished; faults with <see cref="PipelineFaultedException"/>.</summary>
    public Task Completion => _completion.Task;

    /// <summary>True once the drain deadline passed and in-flight work was abandoned.</summary>
    public bool Aborted => _abort.IsCancellationRequested && _fault is null;

    /// <summary>The pipeline's <c>OtlpFlow</c> meter, for listeners (a live dashboard) that read its per-batch instruments.</summary>
    public Meter Meter => Metrics.Meter;

    /// <summary>Batches waiting at an operator's input now; 0 for a source, which has no input. For live views.</summary>
    /// <exception cref="KeyNotFoundException">No operator has that id.</exception>
    public int QueueDepth(string operatorId) => Node(operatorId).QueueDepth();

    /// <summary>The bounded capacity of an operator's input, in batches; 0 for a source, which has no input.</summary>
    /// <exception cref="KeyNotFoundException">No operator has that id.</exception>
    public int QueueCapacity(string operatorId) => Node(operatorId) is { Operator: SourceOperator } ? 0 : Node(operatorId).Capacity;

    internal IReadOnlyList<OperatorNode> Nodes => _nodes;

    internal ILogger Logger { get; }

    internal EngineMetrics Metrics { get; }

    /// <summary>Returns a source batch's bytes to the budget when its request settles (one delegate for the pipeline, not one per batch).</summary>
    internal Action<AcknowledgementTracker, AcknowledgementResult> ReleaseMemory { get; }

    internal CancellationToken StopToken => _stop.Token;

    internal CancellationToken AbortToken => _abort.Token;

    internal void Add(OperatorNode node) => _nodes.Add(node);

    private OperatorNode Node(string operatorId) =>
        (_nodesById ??= _nodes.ToDictionary(n => n.Id, StringComparer.Ordinal)).TryGetValue(operatorId, out var node)
            ? node
            : throw new KeyNotFoundException($"pipeline '{Name}' has no operator '{operatorId}'");

    /// <summary>The pipeline's one instance of a named scheduler, made on first use.</summary>
    internal TaskScheduler Scheduler(string name, Func<TaskScheduler> create)
    {
        if (!_schedulers.TryGetValue(name, out var scheduler))
        {
            scheduler = create();
            _schedulers[name] = scheduler;
        }

        return scheduler;
    }

    /// <summary>Starts every operator (sinks first, so they are ready when data comes) and lets data flow.</summary>
    /// <exception cref="PipelineFaultedException">An operator failed to start; the ones started are disposed.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The pipeline was already started.");
        }

        foreach (var node in _nodes)
        {
            node.CreateInput(_abort.Token);
        }

        var started = new List<OperatorNode>();
        foreach (var node in Enumerable.Reverse(TopologicalOrder()))
        {
            try
            {
                await node.Operator.StartAsync(cancellationToken).ConfigureAwait(false);
                started.Add(node);
            }
            catch (Exception ex)
            {
                _abort.Cancel();
                foreach (var n in _nodes)
                {
                    n.Input?.Complete();
                }

                foreach (var s in started)
                {
                    await s.Operator.DisposeAsync().ConfigureAwait(false);
                }

                var error = new PipelineFaultedException(node.Id, PluginLoadContext.Explain(node.Operator.GetType(), ex));
                LogStartFailed(Logger, node.Id, error.InnerException!);
                _completion.TrySetException(error);
                throw error;
            }
        }

        foreach (var node in _nodes)
        {
            node.StartTicks(_abort.Token);
        }

        Publish(PipelineEventKind.Started, null, $"pipeline '{Name}' started with {_nodes.Count} operators");
        var runs = _nodes.Select(RunAsync).ToArray();
        _ = FinishAsync(runs);
    }

    /// <summary>
    /// Stops gracefully: sources finish, every in-flight batch reaches a sink, stateful operators
    /// flush (guarantee 5). Past <paramref name="drainTimeout"/> (default: the pipeline's
    /// <c>drainTimeout</c>) in-flight work is abandoned and its acknowledgements fail.
    /// Returns true when the drain completed in time.
    /// </summary>
    public async Task<bool> StopAsync(TimeSpan? drainTimeout = null)
    {
        if (!_stop.IsCancellationRequested)
        {
            Publish(PipelineEventKind.Draining, null, "stop requested: draining");
            _stop.Cancel();
        }

        if (Volatile.Read(ref _started) == 0)
        {
            _completion.TrySetResult();
            return true;
        }

        try
        {
            await Completion.WaitAsync(drainTimeout ?? DrainTimeout, _timeProvider).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            Publish(PipelineEventKind.Aborted, null, "drain deadline passed: abandoning in-flight work");
            _abort.Cancel();
        }
        catch (PipelineFaultedException)
        {
            return false;
        }

        try
        {
            await Completion.ConfigureAwait(false);
        }
        catch (PipelineFaultedException)
        {
            // Reported through Completion to whoever awaits it.
        }

        return false;
    }

    /// <summary>Stops (if running) and disposes every operator.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (Volatile.Read(ref _started) != 0 && !Completion.IsCompleted)
        {
            await StopAsync().ConfigureAwait(false);
        }
        else if (Volatile.Read(ref _started) == 0)
        {
            DisposeSchedulers(); // built (or validated) but never run
        }

        lock (_events)
        {
            _events.OnCompleted();
            _events.Dispose();
        }

        Metrics.Dispose();
        Memory.Dispose();
        _stop.Dispose();
        _abort.Dispose();
    }

    /// <summary>Records the first fatal error and stops everything at once.</summary>
    internal void Fault(OperatorNode node, Exception error)
    {
        lock (_nodes)
        {
            if (_fault is not null)
            {
                return;
            }

            _fault = (node.Id, error);
        }

        LogFaulted(Logger, node.Id, error);
        Publish(PipelineEventKind.Faulted, node.Id, $"operator '{node.Id}' failed: {error.Message}");
        _stop.Cancel();
        _abort.Cancel();
    }

    internal void Publish(PipelineEventKind kind, string? operatorId, string message)
    {
        lock (_events)
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                _events.OnNext(new PipelineEvent(kind, operatorId, message, _timeProvider.GetUtcNow()));
            }
        }
    }

    private async Task RunAsync(OperatorNode node)
    {
        // Let every run start before any of them does real work.
        await Task.Yield();
        try
        {
            if (node.Operator is SourceOperator source)
            {
                try
                {
                    await source.RunAsync(node, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    // A source that stops by throwing on its stop token has simply finished.
                }
            }
            else
            {
                await node.DrainAsync(_abort.Token).ConfigureAwait(false);
            }

            Publish(PipelineEventKind.OperatorCompleted, node.Id, $"operator '{node.Id}' completed ({node.Counters})");
            if (!node.Counters.Balanced)
            {
                Publish(PipelineEventKind.Unbalanced, node.Id, $"operator '{node.Id}' does not balance: {node.Counters.DescribeImbalance()}");
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Aborted: the fault (if any) was recorded where it happened.
        }
        catch (Exception ex)
        {
            Fault(node, ex);
        }
        finally
        {
            foreach (var downstream in node.Downstream)
            {
                downstream.UpstreamCompleted();
            }
        }
    }

    private async Task FinishAsync(Task[] runs)
    {
        await Task.WhenAll(runs).ConfigureAwait(false);
        foreach (var node in _nodes)
        {
            try
            {
                await node.Operator.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                LogDisposeFailed(Logger, node.Id, ex);
            }

            await node.EndAsync().ConfigureAwait(false);
        }

        DisposeSchedulers();
        Publish(PipelineEventKind.Stopped, null, _fault is { } f ? $"pipeline '{Name}' stopped: operator '{f.OperatorId}' failed" : $"pipeline '{Name}' finished");
        if (_fault is { } fault)
        {
            _completion.TrySetException(new PipelineFaultedException(fault.OperatorId, fault.Error));
        }
        else
        {
            _completion.TrySetResult();
        }
    }

    private void DisposeSchedulers()
    {
        foreach (var scheduler in _schedulers.Values)
        {
            (scheduler as IDisposable)?.Dispose();
        }

        _schedulers.Clear();
    }

    /// <summary>Operators ordered so that every operator comes after its inputs.</summary>
    private List<OperatorNode> TopologicalOrder()
    {
        var order = new List<OperatorNode>();
        var seen = new HashSet<OperatorNode>();
        void Visit(OperatorNode node)
        {
            if (!seen.Add(node))
            {
                return;
            }

            foreach (var downstream in node.Downstream)
            {
                Visit(downstream);
            }

            order.Add(node);
        }

        foreach (var node in _nodes)
        {
            Visit(node);
        }

        order.Reverse();
        return order;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "operator '{OperatorId}' failed; the pipeline stops")]
    private static partial void LogFaulted(ILogger logger, string operatorId, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "operator '{OperatorId}' failed to start; the pipeline stops")]
    private static partial void LogStartFailed(ILogger logger, string operatorId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}' failed to dispose")]
    private static partial void LogDisposeFailed(ILogger logger, string operatorId, Exception exception);
}
