using OtlpFlow.Engine.Operators;

using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// <c>schedule.workStealing</c>: runs a nested stage on N workers. Each worker has its own deque
/// and its own instance of the stage; work is dealt to the deques, a worker takes from the front
/// of its own and, when that is empty or blocked, steals from the back of another's, so one slow
/// piece of work never idles the others. With <c>orderBy</c>, batches are cut by key into key
/// groups; a group's work always goes to the same deque, and only one piece of a group is in
/// progress at a time, taken in arrival order, so per-key order holds even when stolen.
/// </summary>
/// <remarks>
/// The deques sit behind one lock: the work items are whole batches (hundreds of items each), so
/// the lock is taken a few thousand times a second, far below where it would contend.
/// </remarks>
[Operator("schedule.workStealing", Options = typeof(WorkStealingOptions), Description = "Runs a nested processor stage on N workers with work stealing; keeps per-key order with orderBy.",
    Example = """{ "workers": 4, "orderBy": "traceId", "stage": { "type": "attributes", "actions": [ { "action": "hash", "key": "user.email" } ] } }""")]
public sealed class WorkStealingOperator : ProcessorOperator
{
    /// <summary>Key groups per worker when ordering by key: enough for stealing to have choices.</summary>
    private const int GroupsPerWorker = 16;

    private readonly WorkStealingOptions _options;
    private readonly NestedStage[] _stages;
    private readonly LinkedList<WorkItem>[] _deques;
    private readonly bool[] _groupBusy;
    private readonly FlowKey? _orderBy;
    private readonly Lock _lock = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task[] _workers = [];
    private int _queued;
    private int _nextDeque;
    private long _stolen;
    private bool _completing;

    /// <summary>Creates the operator and its stage instances (not started).</summary>
    /// <exception cref="ArgumentException">The stage is not a known processor, or its options are wrong.</exception>
    public WorkStealingOperator(WorkStealingOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _orderBy = options.OrderBy is null ? null : FlowKey.Parse(options.OrderBy);
        _stages = Enumerable.Range(0, options.Workers).Select(i => NestedStage.Create(context, options.Stage!, i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        _deques = Enumerable.Range(0, options.Workers).Select(_ => new LinkedList<WorkItem>()).ToArray();
        _groupBusy = new bool[options.Workers * GroupsPerWorker];
    }

    /// <summary>Work items taken from another worker's deque so far.</summary>
    public long Stolen => Interlocked.Read(ref _stolen);

    /// <inheritdoc />
    public override bool MutatesData => _stages[0].Operator.MutatesData;

    /// <inheritdoc />
    public override IReadOnlyList<string> OutputPorts => _stages[0].Operator.OutputPorts;

    /// <inheritdoc />
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var stage in _stages)
        {
            await stage.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        _workers = Enumerable.Range(0, _stages.Length).Select(w => Task.Run(() => WorkAsync(w), CancellationToken.None)).ToArray();
    }

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (_orderBy is null)
        {
            await EnqueueAsync(batch, group: -1, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Cut by key group (not by key: a batch of 512 spans may hold 512 trace ids).
        var groups = _orderBy.Split(batch);
        var parts = new List<(int Group, Google.Protobuf.IMessage Payload)>();
        if (groups.Count == 1)
        {
            parts.Add((GroupOf(groups[0].Key), groups[0].Payload));
        }
        else
        {
            foreach (var bucket in groups.GroupBy(g => GroupOf(g.Key)))
            {
                var payloads = bucket.Select(g => g.Payload).ToList();
                parts.Add((bucket.Key, payloads.Count == 1 ? payloads[0] : Merge(payloads)));
            }
        }

        foreach (var (group, payload) in parts)
        {
            var part = parts.Count == 1 ? batch : batch.Derive(payload);
            await EnqueueAsync(part, group, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override async ValueTask FlushAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        Signal(() => _completing = true);
        await Task.WhenAll(_workers).WaitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var stage in _stages)
        {
            await stage.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        foreach (var stage in _stages)
        {
            await stage.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    private int GroupOf(string key) => (int)((uint)StringComparer.Ordinal.GetHashCode(key) % (uint)_groupBusy.Length);

    private static Google.Protobuf.IMessage Merge(List<Google.Protobuf.IMessage> payloads) => payloads[0] switch
    {
        OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest => OtlpBatching.Merge(payloads.Cast<OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest>()),
        OpenTelemetry.Proto.Collector.Logs.V1.ExportLogsServiceRequest => OtlpBatching.Merge(payloads.Cast<OpenTelemetry.Proto.Collector.Logs.V1.ExportLogsServiceRequest>()),
        _ => OtlpBatching.Merge(payloads.Cast<OpenTelemetry.Proto.Collector.Metrics.V1.ExportMetricsServiceRequest>()),
    };

    private async ValueTask EnqueueAsync(TelemetryBatch batch, int group, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            TaskCompletionSource? added = null;
            lock (_lock)
            {
                if (_queued < _options.QueueCapacity)
                {
                    // A group always lives in one deque, so its arrival order is that deque's order.
                    var deque = group >= 0 ? group % _deques.Length : _nextDeque++ % _deques.Length;
                    _deques[deque].AddLast(new WorkItem(batch.Retain(), group));
                    _queued++;
                    added = _changed;
                    _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                wait = _changed.Task;
            }

            if (added is not null)
            {
                added.TrySetResult();
                return;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WorkAsync(int worker)
    {
        var stage = _stages[worker];
        while (true)
        {
            WorkItem? item;
            Task changed;
            lock (_lock)
            {
                item = Take(worker);
                if (item is null && _completing && _queued == 0)
                {
                    return;
                }

                changed = _changed.Task;
            }

            if (item is null)
            {
                await changed.ConfigureAwait(false);
                continue;
            }

            await stage.ProcessAsync(item.Batch, CancellationToken.None).ConfigureAwait(false);
            Signal(() =>
            {
                _queued--;
                if (item.Group >= 0)
                {
                    _groupBusy[item.Group] = false;
                }
            });
        }
    }

    /// <summary>The worker's next item: the front of its own deque, else the back of another's (called holding the lock).</summary>
    private WorkItem? Take(int worker)
    {
        if (TakeFrom(_deques[worker], fromFront: true) is { } own)
        {
            return own;
        }

        for (var i = 1; i < _deques.Length; i++)
        {
            if (TakeFrom(_deques[(worker + i) % _deques.Length], fromFront: _orderBy is not null) is { } stolen)
            {
                Interlocked.Increment(ref _stolen);
                return stolen;
            }
        }

        return null;
    }

    private WorkItem? TakeFrom(LinkedList<WorkItem> deque, bool fromFront)
    {
        if (_orderBy is null)
        {
            var end = fromFront ? deque.First : deque.Last;
            if (end is null)
            {
                return null;
            }

            deque.Remove(end);
            return end.Value;
        }

        // Ordered: the first item of a group that is not in progress is that group's oldest.
        for (var node = deque.First; node is not null; node = node.Next)
        {
            if (!_groupBusy[node.Value.Group])
            {
                _groupBusy[node.Value.Group] = true;
                deque.Remove(node);
                return node.Value;
            }
        }

        return null;
    }

    private void Signal(Action change)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            change();
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    private sealed record WorkItem(TelemetryBatch Batch, int Group);
}
