using System.Net;
using System.Net.Sockets;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Otlp.Exporter;
using OtlpFlow.Operators.Otlp.Tests.Support;
using OtlpFlow.Operators.Resilience;

namespace OtlpFlow.Operators.Otlp.Tests.Resilience;

/// <summary>Retry, breaker and failover between real exporters and receivers on loopback.</summary>
public sealed class ResilienceLoopbackTests
{
    private static Task<TestPipeline> StartReceiverAsync(Probe probe, string protocol, int port) => TestPipeline.StartAsync($$"""
        { "operators": {
            "in":  { "type": "otlp.receiver", "{{(protocol == "grpc" ? "grpc" : "http")}}": "127.0.0.1:{{port}}", "ack": "delivered" },
            "out": { "type": "test.probe", "inputs": ["in"], "name": "{{probe.Name}}" } } }
        """);

    private static IEnumerable<(string, string)> SpanKeys(params Probe[] probes) =>
        probes.SelectMany(p => p.Payloads<ExportTraceServiceRequest>())
            .SelectMany(r => r.ResourceSpans).SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans)
            .Select(s => (s.TraceId.ToBase64(), s.SpanId.ToBase64()));

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task An_exporter_with_retry_delivers_everything_to_a_receiver_that_starts_3_s_late(string protocol)
    {
        var port = Ports.Free();
        var probe = Probe.Create();
        await using var sender = await TestPipeline.StartAsync($$"""
            { "operators": {
                "gen": { "type": "generate", "signal": "traces", "count": 2000, "batchSize": 100, "seed": 3 },
                "exp": { "type": "otlp.exporter", "inputs": ["gen"], "endpoint": "http://127.0.0.1:{{port}}", "protocol": "{{protocol}}",
                         "timeout": "2s",
                         "retry": { "backoff": "exponential", "initial": "100ms", "max": "1s", "jitterMode": "full", "maxElapsed": "60s" },
                         "retryBudget": { "ratio": 0.5, "minPerSecond": 50 } } } }
            """);
        var exporter = (OtlpExporterOperator)sender.Pipeline.Operators["exp"];

        // The scenario: the peer is down until the exporter has backed off and retried several times, then comes up.
        await Poll.UntilAsync(() => exporter.Statistics.Retries > 0, "the exporter to meet the absent receiver and retry");
        await Poll.UntilAsync(() => exporter.Statistics.Retries >= 5, "the exporter to back off and retry several times against the absent receiver");
        await using var receiver = await StartReceiverAsync(probe, protocol, port);

        await sender.Pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(2000, exporter.Statistics.SentItems);
        Assert.Equal(0, exporter.Statistics.FailedItems);
        await probe.WaitForItemsAsync(2000);
        Assert.Equal(2000, SpanKeys(probe).Distinct().Count());
    }

    [Fact]
    public async Task An_exporter_breaker_opens_on_an_absent_peer_and_closes_once_it_answers()
    {
        var port = Ports.Free();
        var probe = Probe.Create();
        await using var sender = await TestPipeline.StartAsync($$"""
            { "operators": {
                "gen": { "type": "generate", "signal": "traces", "count": 500, "batchSize": 50, "seed": 4 },
                "exp": { "type": "otlp.exporter", "inputs": ["gen"], "endpoint": "http://127.0.0.1:{{port}}", "protocol": "http/protobuf",
                         "retry": { "initial": "50ms", "max": "200ms", "maxElapsed": "60s" },
                         "breaker": { "consecutiveFailures": 3, "breakFor": "500ms" } } } }
            """);
        var exporter = (OtlpExporterOperator)sender.Pipeline.Operators["exp"];
        await Poll.UntilAsync(() => exporter.Breaker!.Rejected > 0, "the breaker to open and reject attempts");

        await using var receiver = await StartReceiverAsync(probe, "http/protobuf", port);
        await sender.Pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(CircuitState.Closed, exporter.Breaker!.State);
        await probe.WaitForItemsAsync(500);
        Assert.Equal(500, SpanKeys(probe).Distinct().Count());
    }

    [Fact]
    public async Task Failover_moves_traffic_to_the_secondary_when_the_primary_stops_and_back_when_it_returns_losing_nothing()
    {
        var primaryPort = Ports.Free();
        var firstPrimary = Probe.Create();
        var secondary = Probe.Create();
        var secondPrimary = Probe.Create();
        var primary = await StartReceiverAsync(firstPrimary, "http/protobuf", primaryPort);
        await using var secondaryReceiver = await StartReceiverAsync(secondary, "http/protobuf", 0);
        var secondaryEndpoint = secondaryReceiver.Http().ToString().TrimEnd('/');

        // Exporters fail fast (one attempt, no queue) so that the failover hears of each failure at once.
        await using var sender = await TestPipeline.StartAsync($$"""
            { "operators": {
                "gen": { "type": "generate", "signal": "traces", "count": 1000000, "rate": 5000, "batchSize": 50, "seed": 5 },
                "fo":  { "type": "resilience.failover", "inputs": ["gen"], "targets": ["primary", "secondary"],
                         "breaker": { "consecutiveFailures": 2, "breakFor": "300ms" }, "retry": { "initial": "50ms", "max": "500ms" } },
                "p":   { "type": "otlp.exporter", "inputs": ["fo.primary"], "endpoint": "http://127.0.0.1:{{primaryPort}}", "protocol": "http/protobuf",
                         "timeout": "2s", "retry": { "enabled": false }, "queue": { "size": 0 } },
                "s":   { "type": "otlp.exporter", "inputs": ["fo.secondary"], "endpoint": "{{secondaryEndpoint}}", "protocol": "http/protobuf",
                         "timeout": "2s", "retry": { "enabled": false }, "queue": { "size": 0 } } } }
            """);
        var failover = (FailoverOperator)sender.Pipeline.Operators["fo"];
        var changes = new List<TargetChange>();
        using var subscription = failover.TargetChanges.Subscribe(c => { lock (changes) { changes.Add(c); } });

        await firstPrimary.WaitForItemsAsync(1000);
        Assert.Equal(0, secondary.Items);

        // The primary stops mid-run: traffic moves to the secondary.
        await primary.DisposeAsync();
        var secondaryBefore = secondary.Items;
        await Poll.UntilAsync(() => secondary.Items > secondaryBefore + 1000, "traffic on the secondary");
        Assert.Equal("secondary", failover.PreferredTarget);

        // The primary returns on the same port: a probe succeeds and traffic fails back.
        await using (var returned = await StartReceiverAsync(secondPrimary, "http/protobuf", primaryPort))
        {
            await Poll.UntilAsync(() => secondPrimary.Items > 1000, "traffic back on the primary");
            Assert.Equal("primary", failover.PreferredTarget);

            // Stop the sender with the primary still up: everything generated must be acknowledged somewhere.
            await sender.StopAsync();
        }

        var generated = sender.Pipeline.Counters["gen"].ItemsOut;
        var received = SpanKeys(firstPrimary, secondary, secondPrimary).ToHashSet();
        Assert.Equal(generated, received.Count); // every generated span arrived (duplicates aside)
        Assert.Equal(generated, failover.Statistics.DeliveredItems);
        Assert.Equal(0, failover.Statistics.FailedItems);
        Assert.True(failover.Statistics.Resent > 0);
        lock (changes)
        {
            Assert.Contains(changes, c => c is { From: "primary", To: "secondary", FailBack: false });
            Assert.Contains(changes, c => c is { From: "secondary", To: "primary", FailBack: true });
        }
    }
}
