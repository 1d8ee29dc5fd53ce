using System.Reactive.Subjects;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Hosting.Monitoring;

/// <summary>
/// Samples a running pipeline into <see cref="PipelineSnapshot"/>s: per operator, totals, rates over
/// the last interval, queue fill and processing time. The snapshots are published on
/// <see cref="Snapshots"/> (the control plane of docs/architecture.md) for the dashboard, <c>otlpflow top</c> and
/// <c>otlpflow perf</c>; sampling reads counters only and never holds data back.
/// </summary>
public sealed class PipelineMonitor : IDisposable
{
    private readonly RunningPipeline _pipeline;
    private readonly TimeProvider _time;
    private readonly ProcessingTimes _processing;
    private readonly Subject<PipelineSnapshot> _snapshots = new();
    private readonly IDisposable _events;
    private readonly Lock _lock = new();
    private readonly long _started;
    private Dictionary<string, (long In, long Out, long Dropped)> _previous;
    private long _previousTimestamp;
    private long _sequence;
    private string _state = "running";
    private PipelineSnapshot _latest;
    private int _disposed;

    /// <summary>Starts monitoring <paramref name="pipeline"/>, built from <paramref name="spec"/>; take samples with <see cref="Sample"/> or <see cref="RunAsync"/>.</summary>
    public PipelineMonitor(RunningPipeline pipeline, PipelineSpec spec, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(spec);
        _pipeline = pipeline;
        _time = timeProvider ?? TimeProvider.System;
        Topology = PipelineTopology.From(spec, pipeline);
        _processing = new ProcessingTimes(pipeline);
        _events = pipeline.Events.Subscribe(new EventObserver(this));
        _started = _time.GetTimestamp();
        _previousTimestamp = _started;
        _previous = Totals();
        _latest = Build(0, rates: false);
    }

    /// <summary>The pipeline's graph.</summary>
    public PipelineTopology Topology { get; }

    /// <summary>The most recent sample (a first one, with no rates, is taken at construction).</summary>
    public PipelineSnapshot Latest => Volatile.Read(ref _latest);

    /// <summary>Every sample as it is taken; completes when the monitor is disposed.</summary>
    public IObservable<PipelineSnapshot> Snapshots => _snapshots;

    /// <summary>The pipeline's own events (start, drain, operator completions, faults, stop).</summary>
    public IObservable<PipelineEvent> Events => _pipeline.Events;

    /// <summary>Takes a sample now: rates cover the time since the previous sample. Publishes it on <see cref="Snapshots"/>.</summary>
    public PipelineSnapshot Sample()
    {
        PipelineSnapshot snapshot;
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            var interval = _time.GetElapsedTime(_previousTimestamp, now).TotalSeconds;
            snapshot = Build(interval, rates: interval > 0);
            _previousTimestamp = now;
            Volatile.Write(ref _latest, snapshot);
            if (Volatile.Read(ref _disposed) == 0)
            {
                _snapshots.OnNext(snapshot);
            }
        }

        return snapshot;
    }

    /// <summary>Samples every <paramref name="interval"/> until <paramref name="stopToken"/> is cancelled, then takes a last sample.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken stopToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopToken).ConfigureAwait(false))
            {
                Sample();
            }
        }
        catch (OperationCanceledException) when (stopToken.IsCancellationRequested)
        {
            // The run is over.
        }

        Sample();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _events.Dispose();
        _processing.Dispose();
        lock (_lock)
        {
            _snapshots.OnCompleted();
            _snapshots.Dispose();
        }
    }

    private Dictionary<string, (long In, long Out, long Dropped)> Totals() =>
        _pipeline.Counters.ToDictionary(p => p.Key, p => (p.Value.ItemsIn, p.Value.ItemsOut, p.Value.ItemsDropped), StringComparer.Ordinal);

    private PipelineSnapshot Build(double interval, bool rates)
    {
        var operators = new List<OperatorSnapshot>(Topology.Nodes.Count);
        var current = new Dictionary<string, (long In, long Out, long Dropped)>(StringComparer.Ordinal);
        foreach (var node in Topology.Nodes)
        {
            var counters = _pipeline.Counters[node.Id];
            var totals = (In: counters.ItemsIn, Out: counters.ItemsOut, Dropped: counters.ItemsDropped);
            current[node.Id] = totals;
            var before = _previous.TryGetValue(node.Id, out var b) ? b : default;
            var depth = _pipeline.QueueDepth(node.Id);
            var capacity = _pipeline.QueueCapacity(node.Id);
            var (batches, mean, max) = rates ? _processing.Take(node.Id) : (0, null, null);
            operators.Add(new OperatorSnapshot
            {
                Id = node.Id,
                Type = node.Type,
                Kind = node.Kind,
                ItemsIn = totals.In,
                ItemsOut = totals.Out,
                ItemsDropped = totals.Dropped,
                Errors = counters.Errors,
                DroppedByReason = counters.DroppedByReason,
                ItemsInPerSecond = rates ? (totals.In - before.In) / interval : 0,
                ItemsOutPerSecond = rates ? (totals.Out - before.Out) / interval : 0,
                DroppedPerSecond = rates ? (totals.Dropped - before.Dropped) / interval : 0,
                QueueDepth = depth,
                QueueCapacity = capacity,
                QueueFill = capacity > 0 ? Math.Min(1, (double)depth / capacity) : 0,
                BatchesProcessed = batches,
                LatencyMs = mean,
                LatencyMaxMs = max,
            });
        }

        if (rates)
        {
            _previous = current;
        }

        return new PipelineSnapshot
        {
            Pipeline = _pipeline.Name,
            Time = _time.GetUtcNow(),
            ElapsedSeconds = _time.GetElapsedTime(_started).TotalSeconds,
            IntervalSeconds = interval,
            Sequence = _sequence++,
            State = Volatile.Read(ref _state),
            InFlightBytes = _pipeline.Memory.InFlightBytes,
            MemoryLimitBytes = _pipeline.Memory.LimitBytes,
            Operators = operators,
        };
    }

    private void OnEvent(PipelineEvent e)
    {
        var state = e.Kind switch
        {
            PipelineEventKind.Started => "running",
            PipelineEventKind.Draining or PipelineEventKind.Aborted => "draining",
            PipelineEventKind.Faulted => "faulted",
            PipelineEventKind.Stopped => Volatile.Read(ref _state) == "faulted" ? "faulted" : "stopped",
            _ => null,
        };
        if (state is not null)
        {
            Volatile.Write(ref _state, state);
        }
    }

    private sealed class EventObserver(PipelineMonitor monitor) : IObserver<PipelineEvent>
    {
        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void OnNext(PipelineEvent value) => monitor.OnEvent(value);
    }
}
