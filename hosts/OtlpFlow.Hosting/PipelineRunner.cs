using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Hosting.Reload;
using OtlpFlow.Operators.Otlp.LoadBalancing;

namespace OtlpFlow.Hosting;

/// <summary>
/// Runs one pipeline from start to a graceful end, whatever ends it: the sources finishing, a
/// duration, the caller's cancellation, or a fault. Never throws for the pipeline's own problems;
/// they come back as a <see cref="PipelineRunResult"/>. Shared by the CLI and the hosted service.
/// </summary>
public sealed partial class PipelineRunner
{
    private readonly OperatorRegistry _registry;
    private readonly IServiceProvider? _services;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    /// <summary>Creates a runner over the given operator types and host services.</summary>
    public PipelineRunner(OperatorRegistry registry, IServiceProvider? services = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _registry = registry;
        _services = services;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = _loggerFactory.CreateLogger("OtlpFlow.Hosting.PipelineRunner");
    }

    /// <summary>
    /// Reads a pipeline file. Unlike <see cref="PipelineLoader.LoadFile"/>, a file that cannot be read
    /// is reported the same way as a syntax error, so callers handle one exception.
    /// </summary>
    /// <exception cref="PipelineValidationException">The file cannot be read or is not valid JSON.</exception>
    public static PipelineSpec LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            return PipelineLoader.LoadFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            var reason = ex is FileNotFoundException or DirectoryNotFoundException ? "no such file" : ex.Message;
            throw new PipelineValidationException([new PipelineError(path, 1, 1, null, "$", $"cannot read the pipeline file: {reason}")]);
        }
    }

    /// <summary>Reads the file at <paramref name="path"/> and runs it (see <see cref="RunAsync"/>).</summary>
    public Task<PipelineRunResult> RunFileAsync(string path, PipelineRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        PipelineSpec spec;
        try
        {
            spec = LoadFile(path);
        }
        catch (PipelineValidationException ex)
        {
            return Task.FromResult(new PipelineRunResult { Outcome = PipelineRunOutcome.Invalid, Errors = ex.Errors });
        }

        return RunAsync(spec, options, cancellationToken);
    }

    /// <summary>
    /// Builds, starts and runs <paramref name="spec"/> until its sources finish, the
    /// <see cref="PipelineRunOptions.Duration"/> passes or <paramref name="cancellationToken"/> is
    /// cancelled; the last two stop it with a graceful drain.
    /// </summary>
    public async Task<PipelineRunResult> RunAsync(PipelineSpec spec, PipelineRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        options ??= new PipelineRunOptions();

        // The "coordination" section (etcd, Redis) is started first: its services (membership,
        // cluster sampling, the shared Redis connection) are what the operators are built with.
        RunningPipeline? built = null;
        CoordinatedServices? coordination = null;
        if (spec.Coordination is not null)
        {
            try
            {
                coordination = await CoordinatedServices.StartAsync(spec, _services ?? EmptyServices.Instance, () => built, _loggerFactory, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return new PipelineRunResult
                {
                    Outcome = PipelineRunOutcome.Invalid,
                    PipelineName = spec.Name,
                    Errors = [spec.Error(null, "$.coordination", $"cannot start the coordination section: {ex.Message}")],
                };
            }
        }

        await using var coordinated = coordination;
        RunningPipeline pipeline;
        try
        {
            pipeline = built = new PipelineBuilder(_registry, (IServiceProvider?)coordination ?? _services, _loggerFactory, _timeProvider).Build(spec);
        }
        catch (PipelineValidationException ex)
        {
            return new PipelineRunResult { Outcome = PipelineRunOutcome.Invalid, PipelineName = spec.Name, Errors = ex.Errors };
        }

        await using (pipeline.ConfigureAwait(false))
        {
            SelfTelemetry? telemetry = null;
            if (spec.Telemetry is not null)
            {
                try
                {
                    telemetry = await SelfTelemetry.StartAsync(spec, pipeline.Meter, _loggerFactory, cancellationToken).ConfigureAwait(false);
                }
                catch (PipelineValidationException ex)
                {
                    return new PipelineRunResult { Outcome = PipelineRunOutcome.Invalid, PipelineName = spec.Name, Errors = ex.Errors };
                }
            }

            try
            {
                return await RunBuiltAsync(spec, pipeline, coordination, options, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (telemetry is not null)
                {
                    // The final counters, after the drain, are the ones that prove conservation: export them.
                    telemetry.Flush();
                    await telemetry.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private async Task<PipelineRunResult> RunBuiltAsync(PipelineSpec spec, RunningPipeline pipeline, CoordinatedServices? coordination, PipelineRunOptions options, CancellationToken cancellationToken)
    {
        var operators = OperatorReport.For(pipeline);
        var started = _timeProvider.GetTimestamp();
        PipelineRunResult Result(PipelineRunOutcome outcome, bool drained = true, PipelineFaultedException? fault = null) => new()
        {
            Outcome = outcome,
            PipelineName = spec.Name,
            Operators = operators,
            Drained = drained,
            FailedOperatorId = fault?.OperatorId,
            ErrorMessage = fault is null ? null : spec.Redact(fault.Reason is { Length: > 0 } reason ? reason : fault.Message),
            Exception = fault,
            Elapsed = _timeProvider.GetElapsedTime(started),
        };

        try
        {
            await pipeline.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PipelineFaultedException ex) when (cancellationToken.IsCancellationRequested && ex.InnerException is OperationCanceledException)
        {
            return Result(PipelineRunOutcome.Cancelled);
        }
        catch (PipelineFaultedException ex)
        {
            return Result(PipelineRunOutcome.Faulted, fault: ex);
        }

        LogStarted(_logger, spec.Name, operators.Count);
        if (coordination is not null)
        {
            // Receivers listen now: others may send to this instance.
            await AnnounceAsync(coordination, cancellationToken).ConfigureAwait(false);
        }

        using var watchStop = new CancellationTokenSource();
        var watcher = Watch(options.WhileRunning, pipeline, watchStop.Token);
        try
        {
            var (outcome, drained) = await WaitAsync(pipeline, coordination, options, cancellationToken).ConfigureAwait(false);
            LogFinished(_logger, spec.Name, outcome, drained);
            return Result(outcome, drained);
        }
        catch (PipelineFaultedException ex)
        {
            // The engine has logged the fault where it happened; the caller reports the outcome.
            return Result(PipelineRunOutcome.Faulted, drained: false, fault: ex);
        }
        finally
        {
            await watchStop.CancelAsync().ConfigureAwait(false);
            await watcher.ConfigureAwait(false);
        }
    }

    /// <summary>Waits for the first of: completion, the duration, cancellation; then drains.</summary>
    /// <exception cref="PipelineFaultedException">An operator failed, while running or while draining.</exception>
    private async Task<(PipelineRunOutcome Outcome, bool Drained)> WaitAsync(RunningPipeline pipeline, CoordinatedServices? coordination, PipelineRunOptions options, CancellationToken cancellationToken)
    {
        using var durationCts = options.Duration is { } duration
            ? new CancellationTokenSource(duration, _timeProvider)
            : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, durationCts.Token);
        try
        {
            await pipeline.Completion.WaitAsync(linked.Token).ConfigureAwait(false);
            return (PipelineRunOutcome.Completed, true);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            // Fall through to the graceful stop below.
        }

        var outcome = cancellationToken.IsCancellationRequested ? PipelineRunOutcome.Cancelled : PipelineRunOutcome.DurationElapsed;
        if (coordination is not null)
        {
            await LeaveAsync(pipeline, coordination).ConfigureAwait(false);
        }

        var drained = await pipeline.StopAsync(options.DrainTimeout).ConfigureAwait(false);

        // StopAsync reports a fault during the drain only as "not drained": Completion says which operator.
        await pipeline.Completion.ConfigureAwait(false);
        return (outcome, drained);
    }

    /// <summary>The longest announcing may take; past it the run goes on and the coordinator announces later.</summary>
    private static readonly TimeSpan AnnounceTimeout = TimeSpan.FromSeconds(10);

    private async Task AnnounceAsync(CoordinatedServices coordination, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AnnounceTimeout);
        try
        {
            await coordination.AnnounceAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped while announcing (gRPC reports it as a cancelled call): the stop goes on.
        }
        catch (Exception ex)
        {
            // etcd went away since the start: the coordinator's keep-alive loop announces it once
            // etcd answers again; until then the instance runs without receiving from others.
            LogAnnounceFailed(_logger, ex.Message);
        }
    }

    /// <summary>
    /// A graceful stop's first step: leave the members (others stop sending new data here), then
    /// keep taking the spans that other members hand over, before the drain. With a
    /// <c>loadbalancing.handoff</c> operator that is twice its <c>window</c>: for one window the
    /// others still hand this instance the traces it owned before it left (those it holds, and new
    /// ones they cannot tell apart), and those traces' last spans may come up to a window later.
    /// </summary>
    private async Task LeaveAsync(RunningPipeline pipeline, CoordinatedServices coordination)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await coordination.LeaveAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogLeaveFailed(_logger, ex.Message);
            return;
        }

        var grace = 2 * pipeline.Operators.Values.OfType<HandoffOperator>().Select(h => h.Window).DefaultIfEmpty(TimeSpan.Zero).Max();
        if (grace > TimeSpan.Zero)
        {
            LogLeaveGrace(_logger, grace.TotalSeconds);
            await Task.Delay(grace, _timeProvider).ConfigureAwait(false);
        }
    }

    private async Task Watch(Func<RunningPipeline, CancellationToken, Task>? watcher, RunningPipeline pipeline, CancellationToken stopToken)
    {
        if (watcher is null)
        {
            return;
        }

        try
        {
            await watcher(pipeline, stopToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopToken.IsCancellationRequested)
        {
            // The run is over; the watcher was told to stop.
        }
        catch (Exception ex)
        {
            // A broken progress display must not change how the pipeline's run is reported.
            LogWatcherFailed(_logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "pipeline '{Pipeline}' started with {Count} operators")]
    private static partial void LogStarted(ILogger logger, string pipeline, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "pipeline '{Pipeline}' finished: {Outcome} (drained: {Drained})")]
    private static partial void LogFinished(ILogger logger, string pipeline, PipelineRunOutcome outcome, bool drained);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not announce this instance to its cluster ({Error}); it announces itself when etcd answers again")]
    private static partial void LogAnnounceFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not leave the cluster's members before draining ({Error}); its lease ends with the instance")]
    private static partial void LogLeaveFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "left the cluster's members; taking handed-over spans for {Seconds} s before draining")]
    private static partial void LogLeaveGrace(ILogger logger, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the pipeline watcher failed; the pipeline goes on")]
    private static partial void LogWatcherFailed(ILogger logger, Exception exception);

    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
