using System.Diagnostics;
using System.Net;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Logs.V1;

using OpenTelemetry.Trace;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Operators.Otlp.Protocol;
using OtlpFlow.Operators.Otlp.Tests.Support;
using Status = OtlpFlow.Operators.Otlp.Protocol.Rpc.Status;
using StatusCode = Grpc.Core.StatusCode;

namespace OtlpFlow.Operators.Otlp.Tests.Receiver;

/// <summary>Encodings, compressions, ports, tenants, acknowledgements and throttling of otlp.receiver.</summary>
public sealed class ReceiverBehaviourTests : IDisposable
{
    private readonly HttpClient _client = Requests.Client();

    public void Dispose() => _client.Dispose();

    private static Task<TestPipeline> StartAsync(Probe probe, string receiverOptions = "", string pipelineOptions = "") => TestPipeline.StartAsync($$"""
        { {{pipelineOptions}} "operators": {
            "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:0", "http": "127.0.0.1:0" {{receiverOptions}} },
            "out": { "type": "test.probe", "inputs": ["in"], "name": "{{probe.Name}}" } } }
        """);

    [Fact]
    public async Task A_json_request_is_answered_in_json_and_keeps_its_hex_ids()
    {
        var probe = Probe.Create();
        await using var pipeline = await StartAsync(probe);
        var sent = Requests.Traces(4);
        using var request = Requests.Post(pipeline.Http(), "v1/traces", Encoding.UTF8.GetBytes(OtlpJson.Format(sent)), "application/json");
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((0L, (string?)null), OtlpMessages.ReadPartialSuccess(OtlpFlow.Engine.Telemetry.Signal.Traces, await response.Content.ReadAsByteArrayAsync(), json: true));
        Assert.Equal(sent, Assert.Single(probe.Payloads<ExportTraceServiceRequest>()));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("zstd")]
    public async Task Compressed_http_bodies_are_decompressed(string encoding)
    {
        var probe = Probe.Create();
        await using var pipeline = await StartAsync(probe);
        var sent = Requests.Traces(50);
        PayloadCodec.TryParse(encoding, out var compression);
        using var request = Requests.Post(pipeline.Http(), "v1/traces", PayloadCodec.Compress(sent.ToByteArray(), compression), "application/x-protobuf", encoding);
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(sent, Assert.Single(probe.Payloads<ExportTraceServiceRequest>()));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("zstd")]
    public async Task Compressed_grpc_messages_are_decompressed(string encoding)
    {
        var probe = Probe.Create();
        await using var pipeline = await StartAsync(probe);
        var sent = Requests.Traces(50);
        using var channel = GrpcChannel.ForAddress(pipeline.Grpc(), new GrpcChannelOptions
        {
            CompressionProviders = [new Grpc.Net.Compression.GzipCompressionProvider(System.IO.Compression.CompressionLevel.Fastest), new OtlpFlow.Operators.Otlp.Exporter.ZstdGrpcCompressionProvider()],
        });
        var headers = new Metadata { { "grpc-internal-encoding-request", encoding } };
        await new TraceService.TraceServiceClient(channel).ExportAsync(sent, headers);

        Assert.Equal(sent, Assert.Single(probe.Payloads<ExportTraceServiceRequest>()));
    }

    [Fact]
    public async Task The_tenant_header_becomes_the_batch_tenant_over_http_and_grpc()
    {
        var probe = Probe.Create();
        await using var pipeline = await StartAsync(probe, ", \"tenantFrom\": \"x-tenant\"");
        using var request = Requests.Post(pipeline.Http(), "v1/traces", Requests.Traces(1).ToByteArray(), "application/x-protobuf");
        request.Headers.Add("x-tenant", "acme");
        (await _client.SendAsync(request)).Dispose();
        using var channel = GrpcChannel.ForAddress(pipeline.Grpc());
        await new TraceService.TraceServiceClient(channel).ExportAsync(Requests.Traces(1), new Metadata { { "x-tenant", "globex" } });

        Assert.Equal(["acme", "globex"], probe.Batches.Select(b => b.Context.Tenant));
    }

    [Fact]
    public async Task Each_signal_goes_to_its_port_and_everything_to_out()
    {
        var traces = Probe.Create();
        var all = Probe.Create();
        await using var pipeline = await TestPipeline.StartAsync($$"""
            { "operators": {
                "in":     { "type": "otlp.receiver", "http": "127.0.0.1:0" },
                "traces": { "type": "test.probe", "inputs": ["in.traces"], "name": "{{traces.Name}}" },
                "all":    { "type": "test.probe", "inputs": ["in"], "name": "{{all.Name}}" } } }
            """);
        var logs = new ExportLogsServiceRequest { ResourceLogs = { new ResourceLogs { ScopeLogs = { new ScopeLogs { LogRecords = { new LogRecord { SeverityText = "INFO" } } } } } } };
        (await Requests.PostProtobufAsync(_client, pipeline.Http(), Requests.Traces(3))).Dispose();
        (await Requests.PostProtobufAsync(_client, pipeline.Http(), logs, "v1/logs")).Dispose();

        Assert.Equal(3, traces.Items);
        Assert.Equal(4, all.Items);
    }

    [Fact]
    public async Task In_delivered_mode_a_request_refused_by_a_policy_gets_a_partial_success_with_the_count()
    {
        await using var pipeline = await TestPipeline.StartAsync("""
            { "operators": {
                "in":     { "type": "otlp.receiver", "http": "127.0.0.1:0", "grpc": "127.0.0.1:0", "ack": "delivered" },
                "refuse": { "type": "test.refuse", "inputs": ["in"] },
                "file":   { "type": "file.writer", "inputs": ["refuse"], "path": "unused.json" } } }
            """);
        using var response = await Requests.PostProtobufAsync(_client, pipeline.Http(), Requests.Traces(7));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(7, answer.PartialSuccess.RejectedSpans);
        Assert.Equal("test-policy", answer.PartialSuccess.ErrorMessage);

        using var channel = GrpcChannel.ForAddress(pipeline.Grpc());
        var grpcAnswer = await new TraceService.TraceServiceClient(channel).ExportAsync(Requests.Traces(2));
        Assert.Equal(2, grpcAnswer.PartialSuccess.RejectedSpans);
        Assert.Equal(2, pipeline.Receiver().Statistics.PartialSuccesses);
    }

    [Fact]
    public async Task In_delivered_mode_a_downstream_failure_is_a_retryable_503()
    {
        await using var pipeline = await TestPipeline.StartAsync("""
            { "operators": {
                "in":   { "type": "otlp.receiver", "http": "127.0.0.1:0", "retryAfter": "3s" },
                "fail": { "type": "test.fail", "inputs": ["in"] } } }
            """);
        using var response = await Requests.PostProtobufAsync(_client, pipeline.Http(), Requests.Traces(2));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter?.Delta);
        var status = Status.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(RpcStatus.Unavailable, status.Code);
        Assert.Equal(TimeSpan.FromSeconds(3), RpcStatus.RetryDelay(status));
    }

    [Fact]
    public async Task In_accepted_mode_the_client_is_answered_before_the_sink_has_written()
    {
        var probe = Probe.Create();
        probe.Pause();
        await using var pipeline = await StartAsync(probe, ", \"ack\": \"accepted\"");
        using var response = await Requests.PostProtobufAsync(_client, pipeline.Http(), Requests.Traces(2));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, probe.Items);
        probe.Resume();
        await probe.WaitForItemsAsync(2);
    }

    [Fact]
    public async Task In_delivered_mode_the_client_is_answered_only_after_the_sink_has_written()
    {
        var probe = Probe.Create();
        probe.Pause();
        await using var pipeline = await StartAsync(probe);
        var send = Requests.PostProtobufAsync(_client, pipeline.Http(), Requests.Traces(2));
        await probe.Holding;

        Assert.False(send.IsCompleted);
        probe.Resume();
        using var response = await send;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, probe.Items);
    }

    [Fact]
    public async Task Over_the_memory_budget_http_gets_429_and_grpc_resource_exhausted_with_retry_info()
    {
        var probe = Probe.Create();
        probe.Pause();
        // The budget holds the first request's decoded estimate and not a second one beside it.
        var estimate = DecodedSizeEstimator.Scan(ExportTraceServiceRequest.Descriptor, Requests.Traces(20).ToByteArray(), new DecodeLimits(0, 0, 0)).DecodedBytes;
        await using var pipeline = await StartAsync(probe, ", \"ack\": \"accepted\", \"retryAfter\": \"2s\"", $"\"memoryLimit\": \"{estimate * 3 / 2}B\",");
        (await Requests.PostProtobufAsync(_client, pipeline.Http(), Requests.Traces(20))).Dispose();
        await probe.Holding;

        using var response = await Requests.PostProtobufAsync(_client, pipeline.Http(), Requests.Traces(20, seed: 2));
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);

        using var channel = GrpcChannel.ForAddress(pipeline.Grpc());
        var error = await Assert.ThrowsAsync<RpcException>(async () => await new TraceService.TraceServiceClient(channel).ExportAsync(Requests.Traces(20, seed: 3)));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), RpcStatus.RetryDelay(Status.Parser.ParseFrom(error.Trailers.GetValueBytes("grpc-status-details-bin"))));
        probe.Resume();
    }

    [Fact]
    public async Task A_request_that_finds_no_room_within_the_admission_timeout_gets_503_and_is_not_delivered()
    {
        var probe = Probe.Create();
        probe.Pause();
        await using var pipeline = await TestPipeline.StartAsync($$"""
            { "operators": {
                "in":  { "type": "otlp.receiver", "http": "127.0.0.1:0", "ack": "accepted", "admissionTimeout": "200ms" },
                "out": { "type": "test.probe", "inputs": ["in"], "name": "{{probe.Name}}", "capacity": 1 } } }
            """);

        // The first request is held by the sink; of the next two, the one that reaches the receiver
        // first waits for room while holding the admission gate (it was handed over and will be
        // delivered), the other cannot get the gate in time: it was never handed over. Which of the
        // two comes first is the network's choice, so each is told apart by its answer.
        (await Requests.PostProtobufAsync(_client, pipeline.Http(), Requests.Traces(1, seed: 1))).Dispose();
        await probe.Holding;
        var requests = new[] { (Items: 2, Response: Requests.PostProtobufAsync(_client, pipeline.Http(), Requests.Traces(2, seed: 2))), (Items: 3, Response: Requests.PostProtobufAsync(_client, pipeline.Http(), Requests.Traces(3, seed: 3))) };
        var answers = new List<(int Items, HttpResponseMessage Response, string Message)>();
        foreach (var (items, pending) in requests)
        {
            var response = await pending;
            answers.Add((items, response, Status.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync()).Message));
        }

        var admitted = Assert.Single(answers, a => a.Message.Contains("will be delivered", StringComparison.Ordinal));
        var refused = Assert.Single(answers, a => a.Items != admitted.Items);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, admitted.Response.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Response.StatusCode);
        Assert.NotNull(refused.Response.Headers.RetryAfter);
        Assert.DoesNotContain("will be delivered", refused.Message, StringComparison.Ordinal);
        foreach (var answer in answers)
        {
            answer.Response.Dispose();
        }

        probe.Resume();
        await pipeline.StopAsync();
        Assert.Equal([1, admitted.Items], probe.Batches.Select(b => b.ItemCount));
    }

    [Fact]
    public async Task The_sdk_client_is_throttled_while_the_sink_is_stalled_and_every_span_arrives_after_it_resumes()
    {
        var probe = Probe.Create();
        probe.Pause();
        // The budget holds one SDK batch of 10 spans (about 6 KB decoded) and not two: a request
        // decoding to more than the whole memoryLimit would be refused as too large, not throttled.
        await using var pipeline = await StartAsync(probe, ", \"ack\": \"accepted\", \"retryAfter\": \"100ms\"", "\"memoryLimit\": \"9KiB\",");
        var sourceName = "throttle-" + Guid.NewGuid().ToString("N");
        var retryVariable = Environment.GetEnvironmentVariable("OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY");
        Environment.SetEnvironmentVariable("OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY", "in_memory");
        try
        {
            using var source = new ActivitySource(sourceName);
            using var provider = Sdk.CreateTracerProviderBuilder()
                .AddSource(sourceName)
                .AddOtlpExporter(o =>
                {
                    SdkExport.Configure(o, pipeline, "http/protobuf", "v1/traces");
                    o.ExportProcessorType = ExportProcessorType.Batch;
                    o.BatchExportProcessorOptions.MaxExportBatchSize = 10;
                    o.BatchExportProcessorOptions.ScheduledDelayMilliseconds = 10;
                })
                .Build();

            for (var i = 0; i < 10; i++)
            {
                source.StartActivity("first-" + i)!.Dispose();
            }

            await probe.Holding;
            for (var i = 0; i < 10; i++)
            {
                source.StartActivity("second-" + i)!.Dispose();
            }

            var flush = Task.Run(() => provider.ForceFlush(60_000));
            await pipeline.Receiver().Statistics.FirstRetryable.WaitAsync(TimeSpan.FromSeconds(60));

            probe.Resume();
            Assert.True(await flush);
            await probe.WaitForItemsAsync(20);
        }
        finally
        {
            Environment.SetEnvironmentVariable("OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY", retryVariable);
        }

        var names = probe.Payloads<ExportTraceServiceRequest>().SelectMany(r => r.ResourceSpans).SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).Select(s => s.Name).ToHashSet();
        Assert.Equal(20, names.Count);
        Assert.True(pipeline.Receiver().Statistics.Throttled > 0);
    }
}
