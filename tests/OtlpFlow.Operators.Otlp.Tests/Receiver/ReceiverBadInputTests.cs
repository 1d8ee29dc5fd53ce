using System.IO.Compression;
using System.Net;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Operators.Otlp.Protocol;
using Status = OtlpFlow.Operators.Otlp.Protocol.Rpc.Status;
using OtlpFlow.Operators.Otlp.Tests.Support;

namespace OtlpFlow.Operators.Otlp.Tests.Receiver;

/// <summary>Malformed, oversized and hostile requests get the OTLP status and the receiver keeps serving.</summary>
public sealed class ReceiverBadInputTests : IAsyncLifetime
{
    private readonly Probe _probe = Probe.Create();
    private readonly HttpClient _client = Requests.Client();
    private TestPipeline _pipeline = null!;

    public async Task InitializeAsync() => _pipeline = await TestPipeline.StartAsync($$"""
        { "operators": {
            "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:0", "http": "127.0.0.1:0", "maxRequestSize": "1MiB" },
            "out": { "type": "test.probe", "inputs": ["in"], "name": "{{_probe.Name}}" } } }
        """);

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _pipeline.DisposeAsync();
    }

    private async Task AssertStillServesAsync()
    {
        using var response = await Requests.PostProtobufAsync(_client, _pipeline.Http(), Requests.Traces(3));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var channel = GrpcChannel.ForAddress(_pipeline.Grpc());
        await new TraceService.TraceServiceClient(channel).ExportAsync(Requests.Traces(2));
        Assert.Equal(5, _probe.Items);
    }

    private static async Task<Status> ProtobufStatusAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        return Status.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    [Fact]
    public async Task Truncated_protobuf_over_http_is_400_with_an_invalid_argument_status()
    {
        var bytes = Requests.Traces(10).ToByteArray();
        using var request = Requests.Post(_pipeline.Http(), "v1/traces", bytes[..(bytes.Length / 2)], "application/x-protobuf");
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var status = await ProtobufStatusAsync(response);
        Assert.Equal(RpcStatus.InvalidArgument, status.Code);
        Assert.Contains("not a valid OTLP protobuf", status.Message, StringComparison.Ordinal);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task A_span_with_a_3_byte_trace_id_is_refused_over_protobuf_as_over_json_and_never_passed_on()
    {
        var bad = Requests.Traces(10);
        bad.ResourceSpans[0].ScopeSpans[0].Spans[4].TraceId = ByteString.CopyFrom(1, 2, 3);
        using var response = await Requests.PostProtobufAsync(_client, _pipeline.Http(), bad);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var status = await ProtobufStatusAsync(response);
        Assert.Equal(RpcStatus.InvalidArgument, status.Code);
        Assert.Contains("spans[4].traceId must be empty or 16 bytes, got 3", status.Message, StringComparison.Ordinal);

        using var channel = GrpcChannel.ForAddress(_pipeline.Grpc());
        var error = await Assert.ThrowsAsync<RpcException>(async () => await new TraceService.TraceServiceClient(channel).ExportAsync(bad));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Gzip_with_bytes_after_its_end_is_400_and_the_same_body_without_them_is_accepted()
    {
        var gzip = Gzip(Requests.Traces(4).ToByteArray());
        using (var garbage = Requests.Post(_pipeline.Http(), "v1/traces", [.. gzip, 0x13, 0x37, 0x00, 0xFF], "application/x-protobuf", "gzip"))
        using (var response = await _client.SendAsync(garbage))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("bytes after its end", (await ProtobufStatusAsync(response)).Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, _probe.Items);
        using (var clean = Requests.Post(_pipeline.Http(), "v1/traces", gzip, "application/x-protobuf", "gzip"))
        using (var response = await _client.SendAsync(clean))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(4, _probe.Items);
    }

    [Fact]
    public async Task Truncated_protobuf_over_grpc_is_invalid_argument()
    {
        using var channel = GrpcChannel.ForAddress(_pipeline.Grpc());
        var bytes = Requests.Traces(10).ToByteArray();
        var method = new Method<byte[], byte[]>(MethodType.Unary, "opentelemetry.proto.collector.trace.v1.TraceService", "Export",
            Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await channel.CreateCallInvoker().AsyncUnaryCall(method, null, new CallOptions(), bytes[..(bytes.Length / 2)]));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Invalid_json_is_400_with_a_json_status_body()
    {
        using var request = Requests.Post(_pipeline.Http(), "v1/traces", Encoding.UTF8.GetBytes("{\"resourceSpans\": [ {"), "application/json");
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var status = RpcStatus.ParseJson(await response.Content.ReadAsStringAsync());
        Assert.Equal(RpcStatus.InvalidArgument, status.Code);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Another_content_type_is_415()
    {
        using var request = Requests.Post(_pipeline.Http(), "v1/traces", Encoding.UTF8.GetBytes("hello"), "text/plain");
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task An_unknown_content_encoding_is_415()
    {
        using var request = Requests.Post(_pipeline.Http(), "v1/traces", Requests.Traces(1).ToByteArray(), "application/x-protobuf", "br");
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Another_method_is_405_with_allow_post()
    {
        using var response = await _client.GetAsync(new Uri(_pipeline.Http(), "v1/traces"));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("POST", response.Content.Headers.Allow);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task An_unknown_path_is_404()
    {
        using var request = Requests.Post(_pipeline.Http(), "v1/profiles", Requests.Traces(1).ToByteArray(), "application/x-protobuf");
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task An_oversized_body_is_413_and_not_retryable()
    {
        var big = Requests.Traces(20_000).ToByteArray();
        Assert.True(big.Length > 1024 * 1024);
        using var request = Requests.Post(_pipeline.Http(), "v1/traces", big, "application/x-protobuf");
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Null(response.Headers.RetryAfter);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task An_oversized_grpc_message_is_resource_exhausted_without_retry_info()
    {
        using var channel = GrpcChannel.ForAddress(_pipeline.Grpc(), new GrpcChannelOptions { MaxSendMessageSize = null });
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await new TraceService.TraceServiceClient(channel).ExportAsync(Requests.Traces(20_000)));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        var details = error.Trailers.GetValueBytes("grpc-status-details-bin");
        Assert.NotNull(details);
        Assert.Null(RpcStatus.RetryDelay(Status.Parser.ParseFrom(details)));
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task A_gzip_bomb_over_http_is_413()
    {
        // 64 MiB of zeros compress to about 64 KiB: small on the wire, far past the 1 MiB limit inflated.
        var bomb = Gzip(new byte[64 * 1024 * 1024]);
        Assert.True(bomb.Length < 1024 * 1024);
        using var request = Requests.Post(_pipeline.Http(), "v1/traces", bomb, "application/x-protobuf", "gzip");
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(RpcStatus.ResourceExhausted, (await ProtobufStatusAsync(response)).Code);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task A_gzip_bomb_over_grpc_is_resource_exhausted()
    {
        var bomb = Gzip(new byte[64 * 1024 * 1024]);
        using var http = new HttpClient();
        var frame = new byte[5 + bomb.Length];
        frame[0] = 1;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)bomb.Length);
        bomb.CopyTo(frame, 5);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_pipeline.Grpc(), OtlpMessages.TracesGrpcPath)) { Content = new ByteArrayContent(frame), Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
        request.Headers.Add("grpc-encoding", "gzip");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("8", response.TrailingHeaders.GetValues("grpc-status").Single());
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Decompression_stops_reading_a_bomb_soon_after_the_limit()
    {
        var bomb = Gzip(new byte[64 * 1024 * 1024]);
        using var source = new MemoryStream(bomb);
        await Assert.ThrowsAsync<PayloadTooLargeException>(() => PayloadCodec.ReadAsync(source, PayloadCompression.Gzip, 1024 * 1024, CancellationToken.None));

        // Inflated 1000:1, 1 MiB needs about 1 KiB of input; reading stops within the first buffer or two of it.
        Assert.True(source.Position < bomb.Length / 4, $"read {source.Position} of {bomb.Length} compressed bytes");
    }
}
