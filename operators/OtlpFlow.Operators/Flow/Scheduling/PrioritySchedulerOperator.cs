using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// <c>schedule.priority</c>: when downstream is slow, higher classes go first. A batch's class is
/// read with <c>priorityFrom</c>; each class has a queue. With aging, a batch that waited
/// <c>agingAfter</c> counts one class higher (two after twice as long, and so on), so a low class
/// still progresses under a steady stream of high; ties go to the higher class.
/// </summary>
[Operator("schedule.priority", Options = typeof(PrioritySchedulerOptions), Description = "Higher classes first when downstream is slow, with aging so lower classes still progress.",
    Example = """{ "priorityFrom": "resource.priority", "agingAfter": "2s" }""")]
public sealed class PrioritySchedulerOperator : KeyedQueueOperator
{
    private readonly PrioritySchedulerOptions _options;
    private readonly Dictionary<string, int> _classOf;
    private readonly int _defaultClass;
    private readonly Queue<(TelemetryBatch Batch, long Enqueued)>[] _queues;

    /// <summary>Creates the operator.</summary>
    public PrioritySchedulerOperator(PrioritySchedulerOptions options, OperatorContext context)
        : base(context, FlowKey.Parse((options ?? throw new ArgumentNullException(nameof(options))).PriorityFrom), options.QueueCapacity, options.OnFull)
    {
        _options = options;
        _classOf = options.Classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        _defaultClass = options.DefaultClass is { } d ? _classOf[d] : (options.Classes.Count - 1) / 2;
        _queues = options.Classes.Select(_ => new Queue<(TelemetryBatch, long)>()).ToArray();
    }

    /// <summary>Batches queued in each class, highest first.</summary>
    public IReadOnlyList<int> Queued
    {
        get
        {
            lock (SyncRoot)
            {
                return _queues.Select(q => q.Count).ToArray();
            }
        }
    }

    /// <inheritdoc />
    protected override int QueuedFor(string key) => _queues[ClassOf(key)].Count;

    /// <inheritdoc />
    protected override void Enqueue(string key, TelemetryBatch batch) =>
        _queues[ClassOf(key)].Enqueue((batch, Context.TimeProvider.GetTimestamp()));

    /// <inheritdoc />
    protected override TelemetryBatch? Dequeue()
    {
        var now = Context.TimeProvider.GetTimestamp();
        var best = -1;
        var bestRank = long.MaxValue;
        for (var c = 0; c < _queues.Length; c++)
        {
            if (!_queues[c].TryPeek(out var head))
            {
                continue;
            }

            long rank = c;
            if (_options.AgingAfter > TimeSpan.Zero)
            {
                var waited = Context.TimeProvider.GetElapsedTime(head.Enqueued, now);
                rank -= (long)(waited / _options.AgingAfter);
            }

            if (rank < bestRank)
            {
                best = c;
                bestRank = rank;
            }
        }

        return best < 0 ? null : _queues[best].Dequeue().Batch;
    }

    private int ClassOf(string key) => _classOf.TryGetValue(key, out var c) ? c : _defaultClass;
}
