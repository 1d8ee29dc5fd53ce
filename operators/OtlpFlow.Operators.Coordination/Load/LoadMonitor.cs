using System.Diagnostics;
using System.Reactive.Subjects;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Operators.Coordination.Etcd;
using OtlpFlow.Operators.Resilience;

namespace OtlpFlow.Operators.Coordination.Load;

/// <summary>
/// Measures this instance's load every interval (CPU, memory, GC pauses, the fullest queue of the
/// running pipeline), publishes it as a control-plane stream, and, with an etcd coordinator, under
/// <c>{prefix}/load/{member}</c> (leased), where <see cref="WatchCluster"/> reads every member's
/// report for least-loaded routing and degradation decisions; <see cref="Feed"/> drives a
/// <see cref="DegradationController"/> with it. As an <see cref="IDegradationSignal"/> it is what
/// <c>resilience.degradation</c> reads with <c>"signals": { "load": true }</c>.
/// </summary>
public sealed partial class LoadMonitor : IDegradationSignal, IAsyncDisposable
{
    /// <summary>
    /// The shortest window CPU and GC pause shares are computed over: the process CPU clock ticks in
    /// steps of about 10 ms, so a measurement taken a moment after the previous one would read
    /// anything from 0 to 100%.
    /// </summary>
    private static readonly TimeSpan MinimumWindow = TimeSpan.FromMilliseconds(250);

    private readonly Func<RunningPipeline?> _pipeline;
    private readonly EtcdCoordinator? _coordinator;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly BehaviorSubject<LoadReport?> _reports = new(null);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private TimeSpan _lastCpu;
    private TimeSpan _lastPause;
    private int _lastGen2;
    private long _lastTimestamp;

    /// <summary>Creates the monitor.</summary>
    /// <param name="pipeline">The running pipeline whose queues are measured (null while none runs).</param>
    /// <param name="coordinator">Where reports are published; null to only publish them locally.</param>
    /// <param name="interval">How often to measure.</param>
    /// <param name="logger">Where publishing failures are logged.</param>
    /// <param name="timeProvider">The clock.</param>
    public LoadMonitor(Func<RunningPipeline?> pipeline, EtcdCoordinator? coordinator, TimeSpan interval, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _pipeline = pipeline;
        _coordinator = coordinator;
        _interval = interval;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Every report, as measured (null before the first).</summary>
    public IObservable<LoadReport?> Reports => _reports;

    /// <summary>The last report; null before the first.</summary>
    public LoadReport? Current => _reports.Value;

    /// <summary>The last report's <see cref="LoadReport.Score"/>; 0 before the first.</summary>
    public double Read() => Current?.Score ?? 0;

    /// <summary>Starts measuring.</summary>
    public void Start()
    {
        Baseline();
        _loop = Task.Run(() => LoopAsync(_stop.Token));
    }

    /// <summary>
    /// Feeds every report's <see cref="LoadReport.Score"/> (the worst of CPU, GC pauses and queue
    /// fill, 0 to 1) to a degradation controller, which moves its level on it. Dispose to stop.
    /// </summary>
    public IDisposable Feed(DegradationController controller)
    {
        ArgumentNullException.ThrowIfNull(controller);
        return _reports.Subscribe(report =>
        {
            if (report is not null)
            {
                controller.Update(report.Score);
            }
        });
    }

    /// <summary>Every member's last report, by member id, now and as they change.</summary>
    public IObservable<IReadOnlyDictionary<string, LoadReport>> WatchCluster()
    {
        var coordinator = _coordinator ?? throw new InvalidOperationException("The load monitor has no etcd coordinator to read the cluster from.");
        var prefix = coordinator.Prefix + "/load/";
        return System.Reactive.Linq.Observable.Select(coordinator.WatchPrefix(prefix), keys => (IReadOnlyDictionary<string, LoadReport>)keys
            .Select(kv => (Member: kv.Key[prefix.Length..], Report: JsonSerializer.Deserialize<LoadReport>(kv.Value, JsonSerializerOptions.Web)))
            .Where(x => x.Report is not null)
            .ToDictionary(x => x.Member, x => x.Report!, StringComparer.Ordinal));
    }

    /// <summary>Measures now (since the previous measurement) and publishes the report.</summary>
    public async Task<LoadReport> MeasureAsync(CancellationToken cancellationToken = default)
    {
        var report = Measure();
        _reports.OnNext(report);
        if (_coordinator is not null)
        {
            try
            {
                await _coordinator.PutLeasedAsync(_coordinator.Prefix + "/load/" + _coordinator.MemberId, JsonSerializer.Serialize(report, JsonSerializerOptions.Web), cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException ex)
            {
                LogPublishFailed(_logger, ex.Message);
            }
        }

        return report;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        _reports.OnCompleted();
        _reports.Dispose();
        _stop.Dispose();
    }

    private async Task LoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await Task.Delay(_interval, _time, stop).ConfigureAwait(false);
            await MeasureAsync(stop).ConfigureAwait(false);
        }
    }

    private void Baseline()
    {
        using var process = Process.GetCurrentProcess();
        _lastCpu = process.TotalProcessorTime;
        _lastPause = GC.GetTotalPauseDuration();
        _lastGen2 = GC.CollectionCount(2);
        _lastTimestamp = _time.GetTimestamp();
    }

    private LoadReport Measure()
    {
        if (_lastTimestamp == 0)
        {
            Baseline(); // measured without Start: the first interval begins now
        }

        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var pause = GC.GetTotalPauseDuration();
        var gen2 = GC.CollectionCount(2);
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(_lastTimestamp, now);
        if (elapsed < MinimumWindow)
        {
            // Too soon for the shares: keep the last ones (none yet: 0) and the baseline, so that the
            // next full window covers this one too; memory and queues are read now.
            var last = _reports.Value;
            return new LoadReport(
                Cpu: last?.Cpu ?? 0,
                MemoryBytes: GC.GetTotalMemory(forceFullCollection: false),
                WorkingSetBytes: process.WorkingSet64,
                GcPauseRatio: last?.GcPauseRatio ?? 0,
                Gen2Collections: last?.Gen2Collections ?? 0,
                QueueFill: QueueFill(_pipeline()))
            {
                MeasuredAt = _time.GetUtcNow(),
            };
        }

        var seconds = elapsed.TotalSeconds;
        var report = new LoadReport(
            Cpu: Math.Clamp((cpu - _lastCpu).TotalSeconds / seconds / Environment.ProcessorCount, 0, 1),
            MemoryBytes: GC.GetTotalMemory(forceFullCollection: false),
            WorkingSetBytes: process.WorkingSet64,
            GcPauseRatio: Math.Clamp((pause - _lastPause).TotalSeconds / seconds, 0, 1),
            Gen2Collections: gen2 - _lastGen2,
            QueueFill: QueueFill(_pipeline()))
        {
            MeasuredAt = _time.GetUtcNow(),
        };
        (_lastCpu, _lastPause, _lastGen2, _lastTimestamp) = (cpu, pause, gen2, now);
        return report;
    }

    private static double QueueFill(RunningPipeline? pipeline)
    {
        if (pipeline is null)
        {
            return 0;
        }

        var fill = 0d;
        foreach (var id in pipeline.OperatorIds)
        {
            var capacity = pipeline.QueueCapacity(id);
            if (capacity > 0)
            {
                fill = Math.Max(fill, Math.Min(1, pipeline.QueueDepth(id) / (double)capacity));
            }
        }

        return fill;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "load monitor: could not publish to etcd ({Error})")]
    private static partial void LogPublishFailed(ILogger logger, string error);
}
