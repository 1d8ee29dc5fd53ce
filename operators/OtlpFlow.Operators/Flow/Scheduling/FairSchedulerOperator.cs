using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// <c>schedule.fair</c>: deficit round robin across keys (tenants by default). Each key has a
/// queue; each round a key earns <c>quantum × weight</c> of credit and sends while its next batch
/// fits its credit. When downstream is the bottleneck, every key with data gets its weighted
/// share of what downstream takes, however much more another key offers.
/// </summary>
[Operator("schedule.fair", Options = typeof(FairSchedulerOptions), Description = "Fair shares of a slow downstream across tenants or keys (deficit round robin, weights).",
    Example = """{ "key": "tenant", "weights": { "gold": 3 } }""")]
public sealed class FairSchedulerOperator : KeyedQueueOperator
{
    private const string OverflowKey = "\u0000overflow";
    private readonly FairSchedulerOptions _options;
    private readonly Dictionary<string, Flow> _flows = new(StringComparer.Ordinal);
    private readonly LinkedList<Flow> _active = new();
    private bool _visiting;
    private int _queued;

    /// <summary>Creates the operator.</summary>
    public FairSchedulerOperator(FairSchedulerOptions options, OperatorContext context)
        : base(context, FlowKey.Parse((options ?? throw new ArgumentNullException(nameof(options))).Key), options.QueueCapacity, options.OnFull)
    {
        _options = options;
    }

    /// <summary>Keys with a queue now.</summary>
    public int Keys
    {
        get
        {
            lock (SyncRoot)
            {
                return _flows.Count;
            }
        }
    }

    /// <summary>Batches waiting in the key queues now (taken out ones, on their way downstream, not counted).</summary>
    public int Queued
    {
        get
        {
            lock (SyncRoot)
            {
                return _queued;
            }
        }
    }

    /// <inheritdoc />
    protected override int QueuedFor(string key) => FlowFor(key, create: false)?.Queue.Count ?? 0;

    /// <inheritdoc />
    protected override void Enqueue(string key, TelemetryBatch batch)
    {
        var flow = FlowFor(key, create: true)!;
        flow.Queue.Enqueue((batch, Weight(batch, _options.Unit)));
        _queued++;
        if (flow.Node.List is null)
        {
            _active.AddLast(flow.Node);
        }
    }

    /// <inheritdoc />
    protected override TelemetryBatch? Dequeue()
    {
        while (_active.First is { } node)
        {
            var flow = node.Value;
            if (!_visiting)
            {
                // A new visit: the flow earns its quantum, scaled by its weight.
                flow.Deficit += _options.Quantum * flow.Weight;
                _visiting = true;
            }

            var (batch, weight) = flow.Queue.Peek();
            if (weight <= flow.Deficit)
            {
                flow.Queue.Dequeue();
                _queued--;
                flow.Deficit -= weight;
                if (flow.Queue.Count == 0)
                {
                    // An idle flow keeps no credit (that is what makes the round robin fair) and no memory.
                    _active.RemoveFirst();
                    _flows.Remove(flow.Key);
                    _visiting = false;
                }

                return batch;
            }

            _active.RemoveFirst();
            _active.AddLast(node);
            _visiting = false;
        }

        return null;
    }

    private Flow? FlowFor(string key, bool create)
    {
        if (_flows.TryGetValue(key, out var flow))
        {
            return flow;
        }

        if (!create)
        {
            return _flows.Count >= _options.MaxKeys && _flows.TryGetValue(OverflowKey, out var shared) ? shared : null;
        }

        if (_flows.Count >= _options.MaxKeys)
        {
            key = OverflowKey;
            if (_flows.TryGetValue(key, out flow))
            {
                return flow;
            }
        }

        flow = new Flow(key, _options.Weights.TryGetValue(key, out var w) ? w : 1.0);
        _flows[key] = flow;
        return flow;
    }

    private sealed class Flow
    {
        public Flow(string key, double weight)
        {
            Key = key;
            Weight = weight;
            Node = new LinkedListNode<Flow>(this);
        }

        public string Key { get; }

        public double Weight { get; }

        public double Deficit { get; set; }

        public Queue<(TelemetryBatch Batch, long Weight)> Queue { get; } = new();

        public LinkedListNode<Flow> Node { get; }
    }
}
