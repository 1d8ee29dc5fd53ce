using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OtlpFlow.Cli.Commands;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Hosting;

namespace OtlpFlow.Cli.Perf;

/// <summary>
/// <c>otlpflow perf &lt;graph.json&gt; [--duration 30s] [--warmup 5s] [--json result.json]</c>: runs a
/// pipeline driven by its <c>generate</c> sources, measures it after a warm-up, and reports
/// throughput, end-to-end latency percentiles, drops, memory and garbage collections; checks the
/// graph's <c>"expect"</c> section.
/// </summary>
internal static class PerfCommand
{
    /// <summary>The exit code when the run did not meet one of the graph's expectations.</summary>
    public const int ExpectationsFailed = 3;

    /// <summary>The command's syntax.</summary>
    public static Command Create(CliEnvironment environment)
    {
        var file = new Argument<string>("graph") { Description = "The perf graph (a pipeline file with 'generate' sources, and optionally an \"expect\" section)." };
        var duration = new Option<TimeSpan?>("--duration", "-d")
        {
            Description = "How long to measure, after the warm-up (default 30s).",
            HelpName = "duration",
            CustomParser = CliDurations.Parse,
        };
        var warmup = new Option<TimeSpan?>("--warmup")
        {
            Description = "How long to run before measuring, so that the JIT and the pools settle (default 5s).",
            HelpName = "duration",
            CustomParser = CliDurations.Parse,
        };
        var json = new Option<string?>("--json") { Description = "Also write the result as JSON to this file.", HelpName = "file" };
        var command = new Command("perf", "Measure a pipeline driven by its generate sources: items/s, MB/s, latency p50/p99/p999, drops, memory.")
        {
            file,
            duration,
            warmup,
            json,
        };
        command.SetAction((parse, cancellationToken) => ExecuteAsync(
            parse.GetValue(file)!,
            parse.GetValue(duration) ?? TimeSpan.FromSeconds(30),
            parse.GetValue(warmup) ?? TimeSpan.FromSeconds(5),
            parse.GetValue(json),
            environment,
            cancellationToken));
        return command;
    }

    /// <summary>
    /// Runs and reports; returns 0, 1 when an operator failed, 2 when the graph is invalid, or
    /// <see cref="ExpectationsFailed"/> when an expectation was not met.
    /// </summary>
    public static async Task<int> ExecuteAsync(string path, TimeSpan duration, TimeSpan warmup, string? jsonPath, CliEnvironment environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (PipelineFiles.TryLoad(path, environment.Error) is not { } spec)
        {
            return ExitCodes.Invalid;
        }

        var errors = new List<PipelineError>();
        var expectations = PerfExpectations.Read(path, spec, errors);
        if (!spec.Operators.Any(o => o.Type == PerfGraph.GeneratorType))
        {
            errors.Add(spec.Error(null, "$.operators", $"a perf graph is driven by '{PerfGraph.GeneratorType}' sources, and this one has none"));
        }

        if (duration <= TimeSpan.Zero || warmup < TimeSpan.Zero)
        {
            await environment.Error.WriteLineAsync("error: --duration must be more than 0 and --warmup at least 0").ConfigureAwait(false);
            return ExitCodes.Failed;
        }

        if (errors.Count > 0)
        {
            PipelineFiles.PrintErrors(errors, environment.Error);
            return ExitCodes.Invalid;
        }

        var instrumented = PerfGraph.Instrument(spec);
        var registry = environment.CreateRegistry();
        registry.AddOperator<PerfProbe>(PerfProbe.TypeName, "Measures end-to-end latency in perf runs.");
        if (!registry.TryGet(PerfDiscardSink.TypeName, out _))
        {
            registry.AddOperator<PerfDiscardSink>(PerfDiscardSink.TypeName, "Accepts and forgets every batch (perf runs).");
        }

        var recorder = new PerfRecorder(environment.TimeProvider, environment.Services);
        using var loggerFactory = environment.CreateLoggerFactory(LogLevel.Warning);
        var runner = new PipelineRunner(registry, recorder, loggerFactory, environment.TimeProvider);
        using var stopRun = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var session = new PerfSession(instrumented, recorder, warmup, duration, environment, stopRun);

        // However the run stops (the window closed, Ctrl+C), the probes must let go of what they hold.
        using var release = stopRun.Token.Register(recorder.Release);
        var startedAt = environment.TimeProvider.GetUtcNow();
        var run = await runner.RunAsync(instrumented, new PipelineRunOptions { WhileRunning = session.RunAsync }, stopRun.Token).ConfigureAwait(false);

        if (run.Outcome == PipelineRunOutcome.Invalid)
        {
            PipelineFiles.PrintErrors(run.Errors, environment.Error);
            return ExitCodes.Invalid;
        }

        var result = Measure(spec, path, startedAt, run, session, recorder);
        result.Expectations = expectations.Check(result);
        result.Passed = run.Outcome != PipelineRunOutcome.Faulted && result.Expectations.All(e => e.Met);
        PerfReport.Write(environment.Out, result);

        if (jsonPath is not null)
        {
            await using var stream = File.Create(jsonPath);
            await JsonSerializer.SerializeAsync(stream, result, PerfReport.JsonOptions, CancellationToken.None).ConfigureAwait(false);
        }

        if (run.Outcome == PipelineRunOutcome.Faulted)
        {
            await environment.Error.WriteLineAsync(run.FailedOperatorId is { Length: > 0 } id
                ? $"error: operator '{id}' failed: {run.ErrorMessage}"
                : $"error: {run.ErrorMessage}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }

        if (session.WindowSeconds <= 0)
        {
            await environment.Error.WriteLineAsync("warning: the graph finished before the warm-up ended, so nothing was measured (shorten --warmup, or let the generators run without a count)").ConfigureAwait(false);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            await environment.Error.WriteLineAsync("warning: interrupted; the figures cover the time measured until then").ConfigureAwait(false);
        }

        return result.Expectations.All(e => e.Met) ? ExitCodes.Success : ExpectationsFailed;
    }

    private static PerfResult Measure(PipelineSpec spec, string path, DateTimeOffset startedAt, PipelineRunResult run, PerfSession session, PerfRecorder recorder)
    {
        var opened = session.Opened!;
        var closed = session.Closed!;
        var seconds = session.WindowSeconds;
        double PerSecond(double delta) => seconds > 0 ? delta / seconds : 0;

        var ids = spec.Operators.Select(o => o.Id).ToHashSet(StringComparer.Ordinal);
        var before = opened.Operators.ToDictionary(o => o.Id, StringComparer.Ordinal);
        var operators = closed.Operators
            .Where(o => ids.Contains(o.Id))
            .Select(o =>
            {
                var b = before[o.Id];
                var (average, peak, latency) = session.Queue(o.Id);
                var held = session.Held.TryGetValue(o.Id, out var h) ? h : ((long, long)?)null;
                return new PerfOperator(o.Id, o.Type, o.Kind, PerSecond(o.ItemsIn - b.ItemsIn), PerSecond(o.ItemsOut - b.ItemsOut), o.ItemsDropped, average, peak, latency,
                    held?.Item1, held?.Item2);
            })
            .ToArray();

        var final = run.Operators.Where(o => ids.Contains(o.Id)).ToArray();

        // What the probes refused was made after the window and never entered the graph proper.
        var afterWindow = run.Operators.Where(o => o.Type == PerfProbe.TypeName).Sum(o => o.Counters.ItemsDropped);
        var generated = final.Where(o => o.Type == PerfGraph.GeneratorType).Sum(o => o.Counters.ItemsOut) - afterWindow;
        var byReason = final
            .SelectMany(o => o.Counters.DroppedByReason)
            .GroupBy(p => p.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(p => p.Value), StringComparer.Ordinal);
        var dropped = final.Sum(o => o.Counters.ItemsDropped);
        var latency = recorder.Latency;
        static double Ms(TimeSpan t) => Math.Round(t.TotalMilliseconds, 3);

        return new PerfResult
        {
            Pipeline = spec.Name,
            Graph = path,
            StartedAt = startedAt,
            Machine = new PerfMachine(
                RuntimeInformation.OSDescription,
                RuntimeInformation.FrameworkDescription,
                Environment.ProcessorCount,
                typeof(PerfCommand).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "unknown"),
            WarmupSeconds = opened.ElapsedSeconds,
            DurationSeconds = seconds,
            ItemsPerSecond = operators.Where(o => o.Type == PerfGraph.GeneratorType).Sum(o => o.ItemsOutPerSecond),
            BatchesPerSecond = PerSecond(recorder.Batches),
            BytesPerSecond = PerSecond(recorder.Bytes),
            DeliveredPerSecond = operators.Where(o => o.Kind == "sink").Sum(o => o.ItemsOutPerSecond),
            ItemsGenerated = generated,
            LatencyMs = new PerfLatency(
                Ms(latency.Percentile(0.50)),
                Ms(latency.Percentile(0.90)),
                Ms(latency.Percentile(0.99)),
                Ms(latency.Percentile(0.999)),
                Ms(latency.Max),
                latency.Count),
            Dropped = dropped,
            ItemsAfterWindow = afterWindow,
            DroppedByReason = byReason,
            Unbalanced = final.Where(o => !o.Counters.Balanced).Select(o => Output.CounterText.Unbalanced(o.Id, o.Counters)).ToArray(),
            DropRatio = generated > 0 ? (double)dropped / generated : 0,
            PeakMemoryBytes = PerfProcessMemory.PeakWorkingSetBytes(),
            MemoryLimitBytes = spec.MemoryLimitBytes > 0 ? spec.MemoryLimitBytes : null,
            GcPauseRatio = seconds > 0 ? Math.Clamp(session.Gc.PauseMs / 1000 / seconds, 0, 1) : 0,
            ForcedCollections = session.ForcedCollections,
            RefusedReservations = session.RefusedReservations,
            PeakInFlightBytes = session.PeakInFlightBytes,
            Gc = session.Gc,
            Operators = operators,
        };
    }
}
