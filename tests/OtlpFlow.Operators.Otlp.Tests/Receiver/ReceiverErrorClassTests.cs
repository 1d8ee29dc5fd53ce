using System.Net;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Operators.Otlp.Protocol;
using OtlpFlow.Operators.Otlp.Tests.Support;
using OtlpFlow.Operators.Resilience;
using Status = OtlpFlow.Operators.Otlp.Protocol.Rpc.Status;
using StatusCode = Grpc.Core.StatusCode;

namespace OtlpFlow.Operators.Otlp.Tests.Receiver;

/// <summary>
/// Permanent failures downstream reach OTLP clients as "do not retry" (HTTP 400 / gRPC
/// INVALID_ARGUMENT), transient ones as "retry later" (503 / UNAVAILABLE), never as a 500.
/// </summary>
public sealed class ReceiverErrorClassTests : IDisposable
{
    private readonly HttpClient _client = Requests.Client();

    public void Dispose() => _client.Dispose();

    private static Task<TestPipeline> StartAsync(string sink) => TestPipeline.StartAsync($$"""
        { "operators": {
            "in":   { "type": "otlp.receiver", "grpc": "127.0.0.1:0", "http": "127.0.0.1:0", "retryAfter": "2s" },
            "sink": { "type": "{{sink}}", "inputs": ["in"] } } }
        """);

    [Fact]
    public async Task A_permanent_failure_downstream_is_an_http_400_with_a_protobuf_status_and_no_retry_after()
    {
        await using var pipeline = await StartAsync("test.failPermanent");
        using var response = await Requests.PostProtobufAsync(_client, pipeline.Http(), Requests.Traces(3));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.RetryAfter);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        var status = Status.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(RpcStatus.InvalidArgument, status.Code);
        Assert.Equal($"3 items were refused downstream: {FailPermanentSink.Message}", status.Message);
        Assert.Null(RpcStatus.RetryDelay(status));
        Assert.Equal(1, pipeline.Receiver().Statistics.Failed);
    }

    [Fact]
    public async Task A_permanent_failure_downstream_is_an_http_400_with_a_json_status_for_a_json_request()
    {
        await using var pipeline = await StartAsync("test.failPermanent");
        using var request = Requests.Post(pipeline.Http(), "v1/traces", Encoding.UTF8.GetBytes(OtlpJson.Format(Requests.Traces(2))), "application/json");
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var status = RpcStatus.ParseJson(await response.Content.ReadAsStringAsync());
        Assert.Equal(RpcStatus.InvalidArgument, status.Code);
        Assert.Contains(FailPermanentSink.Message, status.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("UNIQUE", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_transient_failure_downstream_is_an_http_503_with_retry_after_for_a_json_request()
    {
        await using var pipeline = await StartAsync("test.fail");
        using var request = Requests.Post(pipeline.Http(), "v1/traces", Encoding.UTF8.GetBytes(OtlpJson.Format(Requests.Traces(2))), "application/json");
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        var status = RpcStatus.ParseJson(await response.Content.ReadAsStringAsync());
        Assert.Equal(RpcStatus.Unavailable, status.Code);
        Assert.Equal(TimeSpan.FromSeconds(2), RpcStatus.RetryDelay(status));

        // A transient cause is the pipeline's business (its peers, their addresses): not in the answer.
        Assert.Equal("2 items could not be delivered now; retry later", status.Message);
    }

    [Fact]
    public void A_failure_message_is_one_line_cut_to_200_characters_and_never_inside_a_surrogate_pair()
    {
        Assert.Equal("disk is full on the far side", OtlpFlow.Operators.Otlp.Receiver.ReceiverIngest.ShortMessage(new AggregateException(new InvalidOperationException("disk is full\non the far side"))));
        var cut = OtlpFlow.Operators.Otlp.Receiver.ReceiverIngest.ShortMessage(new InvalidOperationException(new string('a', 198) + "😀" + new string('b', 50)));
        Assert.Equal(new string('a', 198) + "…", cut);
        Assert.Equal(200, OtlpFlow.Operators.Otlp.Receiver.ReceiverIngest.ShortMessage(new InvalidOperationException(new string('c', 500))).Length);
    }

    [Fact]
    public async Task A_permanent_failure_downstream_is_grpc_invalid_argument_with_the_operators_message_only()
    {
        await using var pipeline = await StartAsync("test.failPermanent");
        using var channel = GrpcChannel.ForAddress(pipeline.Grpc());

        var error = await Assert.ThrowsAsync<RpcException>(async () => await new TraceService.TraceServiceClient(channel).ExportAsync(Requests.Traces(2)));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal($"2 items were refused downstream: {FailPermanentSink.Message}", error.Status.Detail);
    }

    [Fact]
    public async Task A_transient_failure_downstream_is_grpc_unavailable_with_retry_info()
    {
        await using var pipeline = await StartAsync("test.fail");
        using var channel = GrpcChannel.ForAddress(pipeline.Grpc());

        var error = await Assert.ThrowsAsync<RpcException>(async () => await new TraceService.TraceServiceClient(channel).ExportAsync(Requests.Traces(2)));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), RpcStatus.RetryDelay(Status.Parser.ParseFrom(error.Trailers.GetValueBytes("grpc-status-details-bin"))));
    }

    [Fact]
    public async Task A_peer_refusing_the_export_for_good_reaches_the_first_client_as_a_400_without_retries()
    {
        // Client → front receiver → otlp.exporter → back receiver that wants a bearer token the
        // exporter lacks. The back answers 401, which OTLP says not to retry; the exporter fails the
        // batch with a non-retryable OtlpExportException, a permanent failure, so the front answers 400.
        var probe = Probe.Create();
        await using var back = await TestPipeline.StartAsync($$"""
            { "operators": {
                "in":  { "type": "otlp.receiver", "http": "127.0.0.1:0", "bearerToken": "secret" },
                "out": { "type": "test.probe", "inputs": ["in"], "name": "{{probe.Name}}" } } }
            """);
        await using var front = await TestPipeline.StartAsync($$"""
            { "operators": {
                "in":  { "type": "otlp.receiver", "http": "127.0.0.1:0" },
                "out": { "type": "otlp.exporter", "inputs": ["in"], "endpoint": "{{back.Http()}}", "protocol": "http/protobuf",
                         "queue": { "size": 0 }, "retry": { "initial": "10ms", "max": "10ms", "maxAttempts": 5 } } } }
            """);

        using var response = await Requests.PostProtobufAsync(_client, front.Http(), Requests.Traces(2));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var status = Status.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(RpcStatus.InvalidArgument, status.Code);
        Assert.Contains("HTTP 401", status.Message, StringComparison.Ordinal);
        Assert.Equal(0, ((OtlpFlow.Operators.Otlp.Exporter.OtlpExporterOperator)front.Pipeline.Operators["out"]).Statistics.Retries);
        Assert.Equal(1, back.Receiver().Statistics.Unauthenticated);
        Assert.Equal(0, probe.Items);
    }

    [Fact]
    public async Task Failover_gives_up_at_once_on_a_permanent_failure_and_sends_a_transient_one_to_the_next_target()
    {
        var probe = Probe.Create();
        static string Pipeline(string first, Probe probe) => $$"""
            { "operators": {
                "in":     { "type": "otlp.receiver", "http": "127.0.0.1:0" },
                "fo":     { "type": "resilience.failover", "inputs": ["in"], "targets": ["first", "second"] },
                "first":  { "type": "{{first}}", "inputs": ["fo.first"] },
                "second": { "type": "test.probe", "inputs": ["fo.second"], "name": "{{probe.Name}}" } } }
            """;

        await using (var permanent = await TestPipeline.StartAsync(Pipeline("test.failPermanent", probe)))
        {
            using var refused = await Requests.PostProtobufAsync(_client, permanent.Http(), Requests.Traces(2));
            var failover = (FailoverOperator)permanent.Pipeline.Operators["fo"];

            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal(1, failover.Statistics.Sent);
            Assert.Equal(0, failover.Statistics.Resent);
            Assert.Equal(0, probe.Items);
        }

        await using var transient = await TestPipeline.StartAsync(Pipeline("test.fail", probe));
        using var delivered = await Requests.PostProtobufAsync(_client, transient.Http(), Requests.Traces(2));

        Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        Assert.Equal(1, ((FailoverOperator)transient.Pipeline.Operators["fo"]).Statistics.Resent);
        Assert.Equal(2, probe.Items);
    }
}
