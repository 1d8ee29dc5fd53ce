using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using OtlpFlow.Cli.Commands;
using OtlpFlow.Cli.Top;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Operators.Otlp.Exporter;

namespace OtlpFlow.Cli.Load;

/// <summary>
/// <c>otlpflow load --endpoint &lt;addr&gt; --protocol grpc|http --rate &lt;n&gt; --duration &lt;d&gt;</c>: an
/// OTLP load generator for any receiver, ours or another's. It runs the built-in generator into an
/// <c>otlp.exporter</c> without retries, so that every refusal of the receiver shows as an error,
/// and prints the rate achieved and the errors by kind.
/// </summary>
internal static class LoadCommand
{
    private const string GeneratorId = "gen";
    private const string ExporterId = "send";

    /// <summary>The command's syntax.</summary>
    public static Command Create(CliEnvironment environment)
    {
        var endpoint = new Option<string>("--endpoint", "-e") { Description = "The receiver: host:port or http://host:port (for HTTP, the base URL).", Required = true, HelpName = "address" };
        var protocol = new Option<string>("--protocol", "-p") { Description = "grpc, http (protobuf) or http/json.", DefaultValueFactory = _ => "grpc" };
        protocol.AcceptOnlyFromAmong("grpc", "http", "http/protobuf", "http/json");
        var rate = new Option<double>("--rate", "-r") { Description = "Items (spans, data points, log records) per second; 0 sends as fast as the receiver answers.", DefaultValueFactory = _ => 10_000 };
        var duration = new Option<TimeSpan?>("--duration", "-d")
        {
            Description = "How long to send (default 10s).",
            HelpName = "duration",
            CustomParser = CliDurations.Parse,
        };
        var signal = new Option<string>("--signal") { Description = "traces, metrics or logs.", DefaultValueFactory = _ => "traces" };
        signal.AcceptOnlyFromAmong("traces", "metrics", "logs");
        var batchSize = new Option<int>("--batch-size") { Description = "Items per request.", DefaultValueFactory = _ => 512 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once.", DefaultValueFactory = _ => 4 };
        var compression = new Option<string>("--compression") { Description = "none, gzip or zstd.", DefaultValueFactory = _ => "none" };
        compression.AcceptOnlyFromAmong("none", "gzip", "zstd");
        var command = new Command("load", "Send generated OTLP data to a receiver at a set rate; print the rate achieved and the errors.")
        {
            endpoint, protocol, rate, duration, signal, batchSize, concurrency, compression,
        };
        command.SetAction((parse, cancellationToken) => ExecuteAsync(
            new LoadSettings(
                parse.GetValue(endpoint)!,
                parse.GetValue(protocol)!,
                parse.GetValue(rate),
                parse.GetValue(duration),
                parse.GetValue(signal)!,
                parse.GetValue(batchSize),
                parse.GetValue(concurrency),
                parse.GetValue(compression)!),
            environment,
            cancellationToken));
        return command;
    }

    /// <summary>Sends for the duration; returns 0 when the receiver took data, 1 when nothing was delivered or the options are wrong.</summary>
    public static async Task<int> ExecuteAsync(LoadSettings settings, CliEnvironment environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(environment);
        if (settings.Rate < 0 || !double.IsFinite(settings.Rate) || settings.BatchSize < 1 || settings.Concurrency < 1)
        {
            await environment.Error.WriteLineAsync("error: --rate must be 0 or more, --batch-size and --concurrency at least 1").ConfigureAwait(false);
            return ExitCodes.Failed;
        }

        var spec = Spec(settings);
        // Failures are counted and reported by message; the exporter's log line per failed batch would bury them.
        using var loggerFactory = environment.CreateLoggerFactory(LogLevel.Critical);
        RunningPipeline pipeline;
        try
        {
            pipeline = new PipelineBuilder(environment.CreateRegistry(), environment.Services, loggerFactory, environment.TimeProvider).Build(spec);
        }
        catch (PipelineValidationException ex)
        {
            foreach (var error in ex.Errors)
            {
                // The pipeline is made from the command line: name the option, not a file position.
                await environment.Error.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            }

            return ExitCodes.Failed;
        }

        await using (pipeline.ConfigureAwait(false))
        {
            var exporter = (OtlpExporterOperator)pipeline.Operators[ExporterId];
            CountingSender? counting = null;
            exporter.DecorateSender = inner => counting = new CountingSender(inner);
            var time = environment.TimeProvider;
            var duration = settings.Duration ?? TimeSpan.FromSeconds(10);
            var started = time.GetTimestamp();
            await pipeline.StartAsync(cancellationToken).ConfigureAwait(false);
            await ShowProgressAsync(exporter, duration, environment, cancellationToken).ConfigureAwait(false);
            var elapsed = time.GetElapsedTime(started);

            // Requests in flight are let finish (briefly), so that they are counted.
            await pipeline.StopAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            await Report(environment.Out, settings, exporter, counting!, pipeline.Counters[GeneratorId].ItemsOut, elapsed).ConfigureAwait(false);
            return exporter.Statistics.SentItems > 0 ? ExitCodes.Success : ExitCodes.Failed;
        }
    }

    private static PipelineSpec Spec(LoadSettings settings)
    {
        var endpoint = settings.Endpoint.Contains("://", StringComparison.Ordinal) ? settings.Endpoint : "http://" + settings.Endpoint;
        var protocol = settings.Protocol == "http" ? "http/protobuf" : settings.Protocol;
        var document = new JsonObject
        {
            ["name"] = "load",
            ["operators"] = new JsonObject
            {
                [GeneratorId] = new JsonObject
                {
                    ["type"] = "generate",
                    ["signal"] = settings.Signal,
                    ["rate"] = settings.Rate,
                    ["batchSize"] = settings.BatchSize,
                    ["timestamps"] = "now",
                },
                [ExporterId] = new JsonObject
                {
                    ["type"] = "otlp.exporter",
                    ["inputs"] = new JsonArray(GeneratorId),
                    ["endpoint"] = endpoint,
                    ["protocol"] = protocol,
                    ["compression"] = settings.Compression,
                    ["timeout"] = "10s",

                    // A load generator reports refusals instead of retrying them.
                    ["retry"] = new JsonObject { ["enabled"] = false },
                    ["queue"] = new JsonObject { ["size"] = settings.Concurrency * 2, ["consumers"] = settings.Concurrency },
                },
            },
        };
        return PipelineLoader.Parse(document.ToJsonString(), "<otlpflow load>");
    }

    private static async Task ShowProgressAsync(OtlpExporterOperator exporter, TimeSpan duration, CliEnvironment environment, CancellationToken cancellationToken)
    {
        var time = environment.TimeProvider;
        using var durationCts = new CancellationTokenSource(duration, time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, durationCts.Token);
        using var timer = new PeriodicTimer(environment.IsTerminal ? environment.LiveInterval : environment.ProgressInterval, time);
        var started = time.GetTimestamp();
        var drawn = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
            {
                var seconds = time.GetElapsedTime(started).TotalSeconds;
                var stats = exporter.Statistics;
                var line = $"[load {seconds.ToString("0.0", CultureInfo.InvariantCulture)}s] sent {stats.SentItems} items ({TopTable.Rate(stats.SentItems / seconds)}/s), failed {stats.FailedItems}";
                if (environment.IsTerminal)
                {
                    environment.Out.Write("\r" + line.PadRight(drawn));
                    drawn = line.Length;
                }
                else
                {
                    await environment.Out.WriteLineAsync(line).ConfigureAwait(false);
                }

                await environment.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The duration has passed, or Ctrl+C.
        }

        if (drawn > 0)
        {
            environment.Out.Write("\r" + new string(' ', drawn) + "\r");
        }
    }

    private static async Task Report(TextWriter output, LoadSettings settings, OtlpExporterOperator exporter, CountingSender counting, long generated, TimeSpan elapsed)
    {
        var stats = exporter.Statistics;
        var seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
        var target = settings.Rate > 0 ? TopTable.Rate(settings.Rate) + "/s" : "as fast as possible";
        await output.WriteLineAsync($"load: {settings.Protocol} to {settings.Endpoint}, {settings.Signal}, {settings.BatchSize} per request, {settings.Concurrency} in flight, for {elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s").ConfigureAwait(false);
        await output.WriteLineAsync($"  target    {target}").ConfigureAwait(false);
        await output.WriteLineAsync($"  achieved  {TopTable.Rate(stats.SentItems / seconds)} items/s delivered ({stats.SentItems} of {generated} generated)").ConfigureAwait(false);
        await output.WriteLineAsync($"  requests  {counting.Requests} sent, {counting.Succeeded} accepted, {counting.Requests - counting.Succeeded} failed; {stats.RejectedItems} items rejected in partial successes").ConfigureAwait(false);
        if (counting.Latency.Count > 0)
        {
            var l = counting.Latency;
            await output.WriteLineAsync($"  latency   p50 {TopTable.Milliseconds(l.Percentile(0.5).TotalMilliseconds)}  p99 {TopTable.Milliseconds(l.Percentile(0.99).TotalMilliseconds)}  max {TopTable.Milliseconds(l.Max.TotalMilliseconds)} per request").ConfigureAwait(false);
        }

        var errors = counting.Errors.OrderByDescending(p => p.Value).ToList();
        await output.WriteLineAsync($"  errors    {(errors.Count == 0 ? "none" : errors.Sum(p => p.Value).ToString(CultureInfo.InvariantCulture))}").ConfigureAwait(false);
        foreach (var (message, count) in errors.Take(10))
        {
            await output.WriteLineAsync($"    {count,8}  {message}").ConfigureAwait(false);
        }
    }
}
