using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Hosting.Tests.TestOperators;
using OtlpFlow.Operators.Otlp.Receiver;

namespace OtlpFlow.Hosting.Tests;

public sealed class SelfTelemetryTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly PipelineFiles _files = new();
    private readonly OperatorRegistry _registry = new OtlpFlowBuilder()
        .AddAssembly(typeof(SpanCounter).Assembly)
        .BuildRegistry();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task Self_telemetry_reaches_the_otlp_receiver_of_a_second_pipeline_and_ends_with_the_final_counters()
    {
        var collected = new CollectedMetrics();
        var collector = new PipelineBuilder(_registry, new SimpleServices(collected)).Build(PipelineLoader.Parse("""
            {
              "name": "collector",
              "operators": {
                "in":   { "type": "otlp.receiver", "grpc": "127.0.0.1:0" },
                "keep": { "type": "test.metrics", "inputs": ["in"] }
              }
            }
            """));
        await using var _ = collector;
        await collector.StartAsync();
        var endpoint = ((OtlpReceiverOperator)collector.Operators["in"]).GrpcEndpoint!;

        var probe = new RunProbe();
        var tally = new SpanTally();
        var path = _files.Write($$"""
            {
              "name": "edge",
              "telemetry": { "otlp": { "endpoint": "{{endpoint}}", "protocol": "grpc", "interval": "100ms" } },
              "operators": {
                "src":  { "type": "test.spans", "endless": true },
                "sink": { "type": "test.count", "inputs": ["src"] }
              }
            }
            """);
        using var stop = new CancellationTokenSource();
        var run = new PipelineRunner(_registry, new SimpleServices(probe, tally)).RunFileAsync(path, cancellationToken: stop.Token);

        // Periodic exports arrive while the pipeline runs ...
        await Poll.UntilAsync(() => collected.SumValues("otlpflow.operator.items.in", ("pipeline", "edge"), ("operator", "sink")).Any(v => v > 0), "a periodic export with the sink's items");
        Assert.Contains("edge", collected.ResourceAttribute("otlpflow.pipeline"));

        // ... and the last one, flushed after the drain, carries the final counters.
        await stop.CancelAsync();
        var result = await run;
        Assert.Equal(PipelineRunOutcome.Cancelled, result.Outcome);
        var final = result.Operators.Single(o => o.Id == "sink").Counters.ItemsIn;
        Assert.Equal(tally.Count, final);
        await Poll.UntilAsync(() => collected.SumValues("otlpflow.operator.items.in", ("pipeline", "edge"), ("operator", "sink")).LastOrDefault() == final, "the final export with the drained counters");
        await collector.StopAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task The_prometheus_endpoint_lists_per_operator_counters()
    {
        using var logs = new CollectingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        var probe = new RunProbe();
        var path = _files.Write("""
            {
              "name": "scraped",
              "telemetry": { "prometheus": { "address": "127.0.0.1:0" } },
              "operators": {
                "src":  { "type": "test.spans", "endless": true },
                "sink": { "type": "test.count", "inputs": ["src"] }
              }
            }
            """);
        using var stop = new CancellationTokenSource();
        var run = new PipelineRunner(_registry, new SimpleServices(probe, new SpanTally()), loggerFactory).RunFileAsync(path, cancellationToken: stop.Token);
        await probe.FirstBatchSent.Task.WaitAsync(Deadline);

        const string Marker = "Prometheus metrics at ";
        string? line = null;
        await Poll.UntilAsync(() => (line = logs.Entries.Select(e => e.Message).FirstOrDefault(m => m.Contains(Marker, StringComparison.Ordinal))) is not null, "the log line with the scrape URL");
        var url = new Uri(line![(line!.IndexOf(Marker, StringComparison.Ordinal) + Marker.Length)..].Trim());
        Assert.Equal("127.0.0.1", url.Host);
        Assert.NotEqual(0, url.Port);

        using var http = new HttpClient();
        // Scrape until the sink has counted something (the first scrape may come before the first batch).
        var body = string.Empty;
        await Poll.UntilAsync(async () =>
        {
            body = await http.GetStringAsync(url);
            return Counter(body, "otlpflow_operator_items_in", "sink") > 0;
        }, "a scrape with the sink's count", Deadline);

        Assert.True(Counter(body, "otlpflow_operator_items_in", "sink") > 0, body);
        Assert.True(Counter(body, "otlpflow_operator_items_out", "src") > 0, body);
        Assert.Contains("otlpflow_operator_items_in_total{", body, StringComparison.Ordinal);
        Assert.Contains("pipeline=\"scraped\"", body, StringComparison.Ordinal);

        await stop.CancelAsync();
        Assert.Equal(PipelineRunOutcome.Cancelled, (await run).Outcome);
    }

    [Fact]
    public async Task A_prometheus_address_already_in_use_makes_the_run_invalid_naming_the_key()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var path = _files.Write($$"""
            {
              "telemetry": { "prometheus": { "address": "127.0.0.1:{{port}}" } },
              "operators": {
                "src":  { "type": "test.spans" },
                "sink": { "type": "test.count", "inputs": ["src"] }
              }
            }
            """);

        var result = await new PipelineRunner(_registry, new SimpleServices(new SpanTally())).RunFileAsync(path);

        Assert.Equal(PipelineRunOutcome.Invalid, result.Outcome);
        var error = Assert.Single(result.Errors);
        Assert.Equal("$.telemetry.prometheus.address", error.JsonPath);
    }

    [Fact]
    public void A_misspelt_telemetry_key_is_reported_with_its_path_and_the_nearest_name()
    {
        var spec = PipelineLoader.Parse("""
            {
              "telemetry": { "otlp": { "endpont": "http://127.0.0.1:4317" }, "prometheus": { "address": "127.0.0.1:9464" } },
              "operators": { "src": { "type": "test.spans" } }
            }
            """);

        var messages = spec.Problems.Select(p => (p.JsonPath, p.Message)).ToList();
        Assert.Contains(messages, m => m.JsonPath == "$.telemetry.otlp.endpont" && m.Message.Contains("did you mean 'endpoint'", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.JsonPath == "$.telemetry.otlp.endpoint" && m.Message.Contains("required", StringComparison.Ordinal));
    }

    [Fact]
    public void Telemetry_values_that_cannot_work_are_reported_before_anything_runs()
    {
        var spec = PipelineLoader.Parse("""
            {
              "telemetry": {
                "otlp": { "endpoint": "127.0.0.1:4317", "protocol": "udp", "interval": "0s" },
                "prometheus": { "address": "9464", "path": "metrics" }
              },
              "operators": { "src": { "type": "test.spans" } }
            }
            """);

        var paths = spec.Problems.Select(p => p.JsonPath).ToList();
        Assert.Contains("$.telemetry.otlp.protocol", paths);
        Assert.Null(spec.Telemetry);

        var valuesOnly = PipelineLoader.Parse("""
            {
              "telemetry": {
                "otlp": { "endpoint": "127.0.0.1:4317", "interval": "0s" },
                "prometheus": { "address": "9464", "path": "metrics" }
              },
              "operators": { "src": { "type": "test.spans" } }
            }
            """);
        Assert.Equal(
            ["$.telemetry.otlp.endpoint", "$.telemetry.otlp.interval", "$.telemetry.prometheus.address", "$.telemetry.prometheus.path"],
            valuesOnly.Problems.Select(p => p.JsonPath).Order(StringComparer.Ordinal));
        Assert.Contains(valuesOnly.Problems, p => p.Message == "'telemetry.otlp.endpoint' must be an http:// or https:// URL such as \"http://127.0.0.1:4317\", got \"127.0.0.1:4317\"");
        Assert.All(valuesOnly.Problems, p => Assert.True(p.Line > 1));
    }

    private static long Counter(string exposition, string metric, string operatorId) =>
        exposition.Split('\n')
            .Where(l => l.StartsWith(metric + "_total{", StringComparison.Ordinal) && l.Contains($"operator=\"{operatorId}\"", StringComparison.Ordinal))
            .Select(l => long.TryParse(l[(l.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0)
            .DefaultIfEmpty(0)
            .Max();
}
