using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Hosting;

/// <summary>
/// Runs the pipeline named by <see cref="OtlpFlowHostOptions.PipelinePath"/> for the lifetime of the
/// host. Host shutdown stops it with a graceful drain; when the pipeline ends by itself (its sources
/// finished, or an operator failed) the host is asked to stop. A failure sets
/// <see cref="Environment.ExitCode"/>: 1 when an operator faulted, 2 when the file is not valid.
/// </summary>
public sealed partial class PipelineHostedService : BackgroundService
{
    /// <summary>The process exit code when an operator failed.</summary>
    public const int FaultedExitCode = 1;

    /// <summary>The process exit code when the pipeline file could not be read or is not valid.</summary>
    public const int InvalidExitCode = 2;

    private readonly OperatorRegistry _registry;
    private readonly OtlpFlowHostOptions _options;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly IServiceProvider _services;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource<PipelineRunResult> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _ready;

    /// <summary>Creates the service; the host's <see cref="TimeProvider"/> is used when one is registered.</summary>
    public PipelineHostedService(
        OperatorRegistry registry,
        IOptions<OtlpFlowHostOptions> options,
        IHostApplicationLifetime lifetime,
        IServiceProvider services,
        ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _registry = registry;
        _options = options.Value;
        _lifetime = lifetime;
        _services = services;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<PipelineHostedService>();
    }

    /// <summary>Completes with the run's result once the pipeline has finished and drained.</summary>
    public Task<PipelineRunResult> Result => _result.Task;

    /// <summary>
    /// True while the pipeline is started and not stopping: what a readiness probe reports. False
    /// before it has started, while it drains, and after it has ended.
    /// </summary>
    public bool IsReady => Volatile.Read(ref _ready);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        PipelineRunResult result;
        try
        {
            result = await RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Not the pipeline's failure (those come back as results) but the host's: report it as
            // a fault rather than let BackgroundService swallow it into a log line.
            result = new PipelineRunResult { Outcome = PipelineRunOutcome.Faulted, ErrorMessage = ex.Message, Exception = ex };
            LogHostError(_logger, ex);
        }

        Report(result);
        _result.TrySetResult(result);
        if (!stoppingToken.IsCancellationRequested)
        {
            // The pipeline ended by itself: a host that only exists to run it has nothing left to do.
            _lifetime.StopApplication();
        }
    }

    private async Task<PipelineRunResult> RunAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrWhiteSpace(_options.PipelinePath))
        {
            throw new InvalidOperationException($"No pipeline file to run: set the configuration key '{OtlpFlowHostOptions.SectionName}:Pipeline' or OtlpFlowHostOptions.PipelinePath (AddOtlpFlowPipeline(path)).");
        }

        PipelineSpec spec;
        try
        {
            spec = PipelineRunner.LoadFile(_options.PipelinePath);
        }
        catch (PipelineValidationException ex)
        {
            return new PipelineRunResult { Outcome = PipelineRunOutcome.Invalid, Errors = ex.Errors };
        }

        var timeProvider = _services.GetService<TimeProvider>() ?? TimeProvider.System;
        var runner = new PipelineRunner(_registry, _services, _loggerFactory, timeProvider);
        using var stopping = stoppingToken.Register(() => Volatile.Write(ref _ready, false));
        var options = new PipelineRunOptions
        {
            DrainTimeout = DrainTimeout(spec),
            WhileRunning = (_, _) =>
            {
                Volatile.Write(ref _ready, !stoppingToken.IsCancellationRequested);
                return Task.CompletedTask;
            },
        };
        try
        {
            return await runner.RunAsync(spec, options, stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _ready, false);
        }
    }

    /// <summary>
    /// The drain deadline: the configured one, else the file's, cut to fit in the host's shutdown
    /// timeout. Past that timeout the host stops waiting for this service, and a drain cut short by
    /// the host would be reported as neither drained nor abandoned.
    /// </summary>
    private TimeSpan DrainTimeout(PipelineSpec spec)
    {
        var wanted = _options.DrainTimeout ?? spec.DrainTimeout;
        if (_services.GetService<IOptions<HostOptions>>()?.Value.ShutdownTimeout is not { } shutdown || shutdown <= TimeSpan.Zero || shutdown == Timeout.InfiniteTimeSpan)
        {
            return wanted;
        }

        var margin = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(2).Ticks, shutdown.Ticks / 10));
        var limit = shutdown - margin;
        if (wanted <= limit)
        {
            return wanted;
        }

        LogDrainLimited(_logger, wanted, limit, shutdown);
        return limit;
    }

    private void Report(PipelineRunResult result)
    {
        var name = result.PipelineName ?? _options.PipelinePath ?? "pipeline";
        switch (result.Outcome)
        {
            case PipelineRunOutcome.Invalid:
                foreach (var error in result.Errors)
                {
                    LogInvalid(_logger, error.ToString());
                }

                Environment.ExitCode = InvalidExitCode;
                break;
            case PipelineRunOutcome.Faulted:
                LogFaulted(_logger, name, result.FailedOperatorId ?? "?", result.ErrorMessage ?? "unknown error", result.Exception);
                Environment.ExitCode = FaultedExitCode;
                break;
            default:
                foreach (var op in result.Operators)
                {
                    var c = op.Counters;
                    LogOperatorTotals(_logger, op.Id, op.Type, c.ItemsIn, c.ItemsOut, c.ItemsDropped, c.Errors);
                }

                if (!result.Drained)
                {
                    LogNotDrained(_logger, name);
                }
                else
                {
                    LogFinished(_logger, name, result.Outcome);
                }

                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "operator '{OperatorId}' ({Type}): in {ItemsIn} out {ItemsOut} dropped {ItemsDropped} errors {Errors}")]
    private static partial void LogOperatorTotals(ILogger logger, string operatorId, string type, long itemsIn, long itemsOut, long itemsDropped, long errors);

    [LoggerMessage(Level = LogLevel.Information, Message = "the drain timeout {Wanted} is cut to {Limit} to fit in the host's shutdown timeout of {Shutdown}")]
    private static partial void LogDrainLimited(ILogger logger, TimeSpan wanted, TimeSpan limit, TimeSpan shutdown);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Error}")]
    private static partial void LogInvalid(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "pipeline '{Pipeline}' stopped: operator '{OperatorId}' failed: {Reason}")]
    private static partial void LogFaulted(ILogger logger, string pipeline, string operatorId, string reason, Exception? exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "the pipeline could not be run")]
    private static partial void LogHostError(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pipeline '{Pipeline}' stopped before its drain finished; in-flight data was abandoned")]
    private static partial void LogNotDrained(ILogger logger, string pipeline);

    [LoggerMessage(Level = LogLevel.Information, Message = "pipeline '{Pipeline}' finished: {Outcome}")]
    private static partial void LogFinished(ILogger logger, string pipeline, PipelineRunOutcome outcome);
}
