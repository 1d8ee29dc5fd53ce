using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OtlpFlow.Engine.Operators;

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

    private Task<PipelineRunResult> RunAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrWhiteSpace(_options.PipelinePath))
        {
            throw new InvalidOperationException("No pipeline file to run: set OtlpFlowHostOptions.PipelinePath (AddOtlpFlowPipeline(path)).");
        }

        var timeProvider = _services.GetService<TimeProvider>() ?? TimeProvider.System;
        var runner = new PipelineRunner(_registry, _services, _loggerFactory, timeProvider);
        return runner.RunFileAsync(_options.PipelinePath, new PipelineRunOptions { DrainTimeout = _options.DrainTimeout }, stoppingToken);
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
