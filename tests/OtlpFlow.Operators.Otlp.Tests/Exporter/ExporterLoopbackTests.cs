using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Operators.Otlp.Exporter;
using OtlpFlow.Operators.Otlp.Tests.Support;

namespace OtlpFlow.Operators.Otlp.Tests.Exporter;

/// <summary>otlp.exporter sending to otlp.receiver on loopback, in every protocol and compression.</summary>
public sealed class ExporterLoopbackTests
{
    private static Task<TestPipeline> StartReceiverAsync(Probe probe, string receiverOptions = "", string pipelineOptions = "", string between = "") => TestPipeline.StartAsync($$"""
        { {{pipelineOptions}} "operators": {
            "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:0", "http": "127.0.0.1:0" {{receiverOptions}} },
            {{between}}
            "out": { "type": "test.probe", "inputs": [{{(between.Length > 0 ? "\"mid\"" : "\"in\"")}}], "name": "{{probe.Name}}" } } }
        """);

    private static string Endpoint(TestPipeline receiver, string protocol) =>
        (protocol == "grpc" ? receiver.Grpc() : receiver.Http()).ToString().TrimEnd('/');

    private static async Task<TestPipeline> RunExporterAsync(string endpoint, string protocol, string compression, int count, string extra = "", string retry = "{ \"initial\": \"50ms\", \"max\": \"200ms\" }")
    {
        var sender = await TestPipeline.StartAsync($$"""
            { "operators": {
                "gen": { "type": "generate", "signal": "traces", "count": {{count}}, "batchSize": 100, "seed": 9 },
                "exp": { "type": "otlp.exporter", "inputs": ["gen"], "endpoint": "{{endpoint}}", "protocol": "{{protocol}}",
                         "compression": "{{compression}}", "retry": {{retry}} {{extra}} } } }
            """);
        await sender.Pipeline.Completion;
        return sender;
    }

    private static OtlpExporterOperator Exporter(TestPipeline pipeline) => (OtlpExporterOperator)pipeline.Pipeline.Operators["exp"];

    [Theory]
    [InlineData("grpc", "none")]
    [InlineData("grpc", "gzip")]
    [InlineData("grpc", "zstd")]
    [InlineData("http/protobuf", "none")]
    [InlineData("http/protobuf", "gzip")]
    [InlineData("http/protobuf", "zstd")]
    [InlineData("http/json", "none")]
    [InlineData("http/json", "gzip")]
    [InlineData("http/json", "zstd")]
    public async Task Every_span_reaches_the_receiver_unchanged(string protocol, string compression)
    {
        var probe = Probe.Create();
        await using var receiver = await StartReceiverAsync(probe);
        await using var sender = await RunExporterAsync(Endpoint(receiver, protocol), protocol, compression, 1000);

        Assert.Equal(1000, Exporter(sender).Statistics.SentItems);
        Assert.Equal(1000, probe.Items);
        var spans = probe.Payloads<ExportTraceServiceRequest>().SelectMany(r => r.ResourceSpans).SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).ToList();
        Assert.Equal(1000, spans.Select(s => s.SpanId).Distinct().Count());
        Assert.All(spans, s => Assert.Equal(16, s.TraceId.Length));
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task A_throttled_exporter_retries_and_every_span_arrives_once_the_receiver_has_room(string protocol)
    {
        var probe = Probe.Create();
        probe.Pause();
        // One batch of 100 spans fits the budget (a request decoding to more than the whole memoryLimit
        // is refused as too large); the twenty batches do not.
        await using var receiver = await StartReceiverAsync(probe, ", \"ack\": \"accepted\", \"retryAfter\": \"50ms\"", "\"memoryLimit\": \"1MiB\",");
        var export = RunExporterAsync(Endpoint(receiver, protocol), protocol, "gzip", 2000, ", \"queue\": { \"consumers\": 2 }");
        await receiver.Receiver().Statistics.FirstRetryable.WaitAsync(TimeSpan.FromSeconds(60));
        probe.Resume();
        await using var sender = await export;

        // "accepted" answers once a request is in the receiver's pipeline: the last ones may still
        // be on their way to the probe when the exporter has finished.
        await probe.WaitForItemsAsync(2000);
        Assert.Equal(2000, probe.Items);
        Assert.Equal(2000, Exporter(sender).Statistics.SentItems);
        Assert.True(Exporter(sender).Statistics.Retries > 0);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/json")]
    public async Task A_partial_success_is_counted_and_never_retried(string protocol)
    {
        var probe = Probe.Create();
        await using var receiver = await StartReceiverAsync(probe, between: "\"mid\": { \"type\": \"test.refuse\", \"inputs\": [\"in\"] },");
        await using var sender = await RunExporterAsync(Endpoint(receiver, protocol), protocol, "none", 300);

        var statistics = Exporter(sender).Statistics;
        Assert.Equal(300, statistics.RejectedItems);
        Assert.Equal(3, statistics.PartialSuccesses);
        Assert.Equal(0, statistics.Retries);
        Assert.Equal(3, receiver.Receiver().Statistics.Accepted);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task A_non_retryable_answer_fails_the_batch_without_retrying(string protocol)
    {
        var probe = Probe.Create();
        await using var receiver = await StartReceiverAsync(probe, ", \"maxRequestSize\": \"100\"");
        await using var sender = await RunExporterAsync(Endpoint(receiver, protocol), protocol, "none", 200, ", \"queue\": { \"size\": 0 }");

        var statistics = Exporter(sender).Statistics;
        Assert.Equal(200, statistics.FailedItems);
        Assert.Equal(0, statistics.Retries);
        Assert.Equal(2, sender.Pipeline.Counters["exp"].Errors);
        Assert.Equal(0, probe.Items);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task An_unreachable_peer_is_retried_until_max_elapsed_then_the_batch_fails(string protocol)
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        await using var sender = await RunExporterAsync($"http://127.0.0.1:{port}", protocol, "none", 100,
            extra: ", \"queue\": { \"size\": 0 }, \"timeout\": \"2s\"",
            retry: "{ \"initial\": \"20ms\", \"max\": \"50ms\", \"maxElapsed\": \"3s\" }");

        var statistics = Exporter(sender).Statistics;
        Assert.Equal(100, statistics.FailedItems);
        Assert.True(statistics.Retries > 0);
    }
}
