using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Hosting.Monitoring;

namespace OtlpFlow.Cli.Perf;

/// <summary>
/// Watches one perf run: samples the pipeline, shows progress, opens the measurement window after
/// the warm-up and closes it after the duration, then asks the run to stop (and drain).
/// </summary>
internal sealed class PerfSession(PipelineSpec spec, PerfRecorder recorder, TimeSpan warmup, TimeSpan duration, CliEnvironment environment, CancellationTokenSource stopRun)
{
    private readonly Dictionary<string, (double FillSum, double FillPeak, double LatencySum, long Batches)> _queues = new(StringComparer.Ordinal);
    private int _samplesInWindow;
    private GcCounts _gcAtOpen;

    /// <summary>The sample that opened the window; null until it opened.</summary>
    public PipelineSnapshot? Opened { get; private set; }

    /// <summary>The sample that closed the window; null until it closed.</summary>
    public PipelineSnapshot? Closed { get; private set; }

    /// <summary>Garbage collections over the window.</summary>
    public PerfGc Gc { get; private set; } = new(0, 0, 0, 0, 0);

    /// <summary>The most bytes in flight at once over the run.</summary>
    public long PeakInFlightBytes { get; private set; }

    /// <summary>Full collections the pipeline's memory guard forced over the run.</summary>
    public long ForcedCollections { get; private set; }

    /// <summary>Peak items and bytes held by each operator that holds data (<see cref="IHoldsData"/>).</summary>
    public IReadOnlyDictionary<string, (long Items, long Bytes)> Held { get; private set; } = new Dictionary<string, (long, long)>();

    /// <summary>Reservations the pipeline's memory budget or guard refused over the run.</summary>
    public long RefusedReservations { get; private set; }

    /// <summary>The measured window's length.</summary>
    public double WindowSeconds => Opened is null || Closed is null ? 0 : Closed.ElapsedSeconds - Opened.ElapsedSeconds;

    /// <summary>Average and peak queue fill, and mean processing time (ms), of <paramref name="operatorId"/> over the window.</summary>
    public (double Average, double Peak, double? LatencyMs) Queue(string operatorId) =>
        _queues.TryGetValue(operatorId, out var q) && _samplesInWindow > 0
            ? (q.FillSum / _samplesInWindow, q.FillPeak, q.Batches > 0 ? q.LatencySum / q.Batches : null)
            : (0, 0, null);

    /// <summary>Runs beside the pipeline (a <see cref="Hosting.PipelineRunOptions.WhileRunning"/>).</summary>
    public async Task RunAsync(RunningPipeline pipeline, CancellationToken stopToken)
    {
        using var monitor = new PipelineMonitor(pipeline, spec, environment.TimeProvider);
        var progress = new PerfProgress(environment, warmup, duration);
        if (warmup <= TimeSpan.Zero)
        {
            Open(monitor.Sample());
        }

        using var timer = new PeriodicTimer(environment.MonitorInterval, environment.TimeProvider);
        try
        {
            while (Closed is null && await timer.WaitForNextTickAsync(stopToken).ConfigureAwait(false))
            {
                var snapshot = monitor.Sample();
                PeakInFlightBytes = Math.Max(PeakInFlightBytes, pipeline.Memory.PeakBytes);
                var elapsed = TimeSpan.FromSeconds(snapshot.ElapsedSeconds);
                if (Opened is null && elapsed >= warmup)
                {
                    Open(snapshot);
                }
                else if (Opened is not null)
                {
                    Accumulate(snapshot);
                    if (elapsed >= warmup + duration)
                    {
                        Close(snapshot);
                    }
                }

                progress.Show(snapshot, Opened is not null, recorder.Latency);
            }
        }
        catch (OperationCanceledException) when (stopToken.IsCancellationRequested)
        {
            // The run ended first (its sources finished, Ctrl+C): measure up to now.
        }
        finally
        {
            progress.Clear();
        }

        if (Closed is null)
        {
            var last = monitor.Sample();
            if (Opened is null)
            {
                Open(monitor.Latest);
            }

            Close(last);
        }

        // The window is measured and the sources are held back: let what was measured settle while
        // every operator still runs, then stop the run (unless it has ended already).
        if (!stopRun.IsCancellationRequested && !stopToken.IsCancellationRequested)
        {
            // Ends early when the run stops by itself (sources finished) or is interrupted.
            using var either = CancellationTokenSource.CreateLinkedTokenSource(stopRun.Token, stopToken);
            try
            {
                await recorder.WaitForWindowToSettleAsync(spec.DrainTimeout, either.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (either.IsCancellationRequested)
            {
                // The run is stopping anyway.
            }
        }

        PeakInFlightBytes = Math.Max(PeakInFlightBytes, pipeline.Memory.PeakBytes);
        Held = pipeline.Operators
            .Where(o => o.Value is IHoldsData)
            .ToDictionary(o => o.Key, o => (((IHoldsData)o.Value).PeakHeldItems, ((IHoldsData)o.Value).PeakHeldBytes), StringComparer.Ordinal);
        ForcedCollections = pipeline.Memory.ForcedCollections;
        RefusedReservations = pipeline.Memory.RefusedReservations;
        await stopRun.CancelAsync().ConfigureAwait(false);
    }

    private void Open(PipelineSnapshot snapshot)
    {
        recorder.Open(snapshot.Time);
        _gcAtOpen = GcCounts.Now();
        Opened = snapshot;
    }

    private void Accumulate(PipelineSnapshot snapshot)
    {
        _samplesInWindow++;
        foreach (var op in snapshot.Operators)
        {
            var q = _queues.TryGetValue(op.Id, out var known) ? known : default;
            _queues[op.Id] = (
                q.FillSum + op.QueueFill,
                Math.Max(q.FillPeak, op.QueueFill),
                q.LatencySum + ((op.LatencyMs ?? 0) * op.BatchesProcessed),
                q.Batches + op.BatchesProcessed);
        }
    }

    private void Close(PipelineSnapshot snapshot)
    {
        recorder.Close(snapshot.Time);
        var gc = GcCounts.Now();
        Gc = new PerfGc(
            gc.Gen0 - _gcAtOpen.Gen0,
            gc.Gen1 - _gcAtOpen.Gen1,
            gc.Gen2 - _gcAtOpen.Gen2,
            gc.Allocated - _gcAtOpen.Allocated,
            (gc.Pause - _gcAtOpen.Pause).TotalMilliseconds);
        Closed = snapshot;
    }

    private readonly record struct GcCounts(int Gen0, int Gen1, int Gen2, long Allocated, TimeSpan Pause)
    {
        public static GcCounts Now() => new(
            GC.CollectionCount(0),
            GC.CollectionCount(1),
            GC.CollectionCount(2),
            GC.GetTotalAllocatedBytes(precise: false),
            GC.GetTotalPauseDuration());
    }
}
