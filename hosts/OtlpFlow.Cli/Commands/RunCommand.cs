using System.CommandLine;
using Microsoft.Extensions.Logging;
using OtlpFlow.Cli.Dashboard;
using OtlpFlow.Cli.Output;
using OtlpFlow.Hosting;

namespace OtlpFlow.Cli.Commands;

/// <summary>
/// <c>otlpflow run &lt;file&gt; [--duration 5s]</c>: runs a pipeline until its sources finish, the
/// duration passes or Ctrl+C, drains it, and prints what flowed through every operator.
/// </summary>
internal static class RunCommand
{
    /// <summary>The command's syntax.</summary>
    public static Command Create(CliEnvironment environment)
    {
        var file = new Argument<string?>("file")
        {
            Description = "The pipeline file (JSON). Without it, the built-in quickstart pipeline runs (generate → batch → debug).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var duration = new Option<TimeSpan?>("--duration", "-d")
        {
            Description = "Stop after this long, then drain (like \"30s\" or \"5m\"). Without it the run lasts until every source has finished, or Ctrl+C.",
            HelpName = "duration",
            CustomParser = CliDurations.Parse,
        };
        var drainTimeout = new Option<TimeSpan?>("--drain-timeout")
        {
            Description = "How long a stop may drain in-flight data before abandoning it (default: the file's \"drainTimeout\", else 30s).",
            HelpName = "duration",
            CustomParser = CliDurations.Parse,
        };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log at Information level (default: warnings and errors only)." };
        var dashboard = DashboardHost.CreateOption();
        var command = new Command("run", "Run a pipeline; exits when its sources finish, after --duration, or on Ctrl+C (draining in-flight data).")
        {
            file,
            duration,
            drainTimeout,
            verbose,
            dashboard,
        };
        command.SetAction((parse, cancellationToken) => ExecuteAsync(
            new RunSettings(parse.GetValue(file), parse.GetValue(duration), parse.GetValue(drainTimeout), parse.GetValue(verbose), parse.GetValue(dashboard)),
            environment,
            cancellationToken));
        return command;
    }

    /// <summary>Runs the pipeline; returns 0 after a graceful end, 1 when an operator failed, 2 when the file is invalid.</summary>
    public static async Task<int> ExecuteAsync(RunSettings settings, CliEnvironment environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(environment);
        var spec = settings.File is null ? PipelineFiles.Quickstart() : PipelineFiles.TryLoad(settings.File, environment.Error);
        if (spec is null)
        {
            return ExitCodes.Invalid;
        }

        var registry = environment.CreateRegistry();
        using var loggerFactory = environment.CreateLoggerFactory(settings.Verbose ? LogLevel.Information : LogLevel.Warning);
        var runner = new PipelineRunner(registry, environment.Services, loggerFactory, environment.TimeProvider);
        var progress = new ProgressDisplay(environment);
        using var dashboardStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var dashboard = settings.Dashboard is { } endpoint ? new DashboardHost(endpoint, spec, environment, dashboardStop) : null;
        var result = await runner.RunAsync(
            spec,
            new PipelineRunOptions
            {
                Duration = settings.Duration,
                DrainTimeout = settings.DrainTimeout,
                WhileRunning = dashboard is null ? progress.RunAsync : (pipeline, stop) => Task.WhenAll(progress.RunAsync(pipeline, stop), dashboard.RunAsync(pipeline, stop)),
            },
            dashboardStop.Token).ConfigureAwait(false);

        if (result.Outcome == PipelineRunOutcome.Invalid)
        {
            PipelineFiles.PrintErrors(result.Errors, environment.Error);
            return ExitCodes.Invalid;
        }

        var output = environment.Out;
        SummaryTable.Write(output, result.Operators);
        output.WriteLine();
        output.WriteLine($"pipeline '{result.PipelineName}' {Describe(result)}");
        if (!result.Drained && result.Outcome != PipelineRunOutcome.Faulted)
        {
            environment.Error.WriteLine("warning: the drain deadline passed before every in-flight batch was delivered; the rest was abandoned (see --drain-timeout)");
        }
        else
        {
            // Conservation (in + returned + created = out + dropped) holds for every operator that drained.
            foreach (var op in result.Operators.Where(o => !o.Counters.Balanced))
            {
                environment.Error.WriteLine(CounterText.Unbalanced(op.Id, op.Counters));
            }
        }

        if (dashboard?.Failed == true)
        {
            return ExitCodes.Failed;
        }

        if (result.Outcome == PipelineRunOutcome.Faulted)
        {
            environment.Error.WriteLine(result.FailedOperatorId is { Length: > 0 } id
                ? $"error: operator '{id}' failed: {result.ErrorMessage}"
                : $"error: {result.ErrorMessage}");
            return ExitCodes.Failed;
        }

        return ExitCodes.Success;
    }

    private static string Describe(PipelineRunResult result)
    {
        var elapsed = CounterText.Seconds(result.Elapsed);
        var drained = result.Drained ? "drained" : "not drained";
        return result.Outcome switch
        {
            PipelineRunOutcome.Completed => $"completed in {elapsed}",
            PipelineRunOutcome.DurationElapsed => $"stopped after {elapsed} (--duration reached), {drained}",
            PipelineRunOutcome.Cancelled => $"stopped after {elapsed} (interrupted), {drained}",
            _ => $"failed after {elapsed}",
        };
    }
}
