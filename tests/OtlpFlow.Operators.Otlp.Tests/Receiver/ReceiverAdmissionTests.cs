using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Operators.Otlp.Protocol;
using OtlpFlow.Operators.Otlp.Tests.Protocol;
using OtlpFlow.Operators.Otlp.Tests.Support;
using Status = OtlpFlow.Operators.Otlp.Protocol.Rpc.Status;
using StatusCode = Grpc.Core.StatusCode;

namespace OtlpFlow.Operators.Otlp.Tests.Receiver;

/// <summary>
/// Admission before allocation (issue 16): bodies are charged to the memory budget as they arrive,
/// requests are refused on their estimated decoded size, gRPC frame headers are claims and not
/// bytes, and in delivered mode a client hears UNAVAILABLE after ackTimeout instead of timing out.
/// </summary>
public sealed class ReceiverAdmissionTests : IDisposable
{
    private const string TracesPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

    private readonly HttpClient _client = Requests.Client();

    public void Dispose() => _client.Dispose();

    private static Task<TestPipeline> StartAsync(Probe probe, string receiverOptions = "", string pipelineOptions = "") => TestPipeline.StartAsync($$"""
        { {{pipelineOptions}} "operators": {
            "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:0", "http": "127.0.0.1:0" {{receiverOptions}} },
            "out": { "type": "test.probe", "inputs": ["in"], "name": "{{probe.Name}}" } } }
        """);

    private static byte[] Zstd(byte[] data)
    {
        using var zstd = new ZstdSharp.Compressor(19);
        return zstd.Wrap(data).ToArray();
    }

    private static byte[] Frame(byte[] message)
    {
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>A raw gRPC call over HTTP/2: its HTTP status and trailers.</summary>
    private async Task<(HttpStatusCode Http, HttpResponseMessage Response)> RawGrpcAsync(Uri endpoint, HttpContent content, string? grpcTimeout)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, TracesPath))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (grpcTimeout is not null)
        {
            request.Headers.TryAddWithoutValidation("grpc-timeout", grpcTimeout);
        }

        var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await response.Content.ReadAsByteArrayAsync();
        return (response.StatusCode, response);
    }

    private static string? Trailer(HttpResponseMessage response, string name) =>
        response.TrailingHeaders.TryGetValues(name, out var values) ? values.First() : null;

    /// <summary>A body that sends a gRPC frame header and then nothing until released.</summary>
    private sealed class StalledFrame(uint claimedLength, Task release) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var header = new byte[5];
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), claimedLength);
            await stream.WriteAsync(header);
            await stream.FlushAsync();
            await release;
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>A body that sends its first <paramref name="first"/> bytes, pauses, then the rest.</summary>
    private sealed class PausingBody(byte[] body, int first, TimeSpan pause) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(body.AsMemory(0, first));
            await stream.FlushAsync();
            await Task.Delay(pause);
            await stream.WriteAsync(body.AsMemory(first));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Fact]
    public async Task A_grpc_client_that_pauses_mid_message_for_6s_is_answered_ok_not_cut_off_with_its_connection()
    {
        // Kestrel's minimum request data rate (240 B/s after 5 s) would end the HTTP/2 connection,
        // and with it every call on it, without an answer; within bodyIdleTimeout (10 s) the receiver waits.
        var probe = Probe.Create();
        await using var pipeline = await StartAsync(probe);

        var (http, response) = await RawGrpcAsync(pipeline.Grpc(), new PausingBody(Frame(Requests.Traces(5).ToByteArray()), 15, TimeSpan.FromSeconds(6)), null);
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, http);
            Assert.Equal("0", Trailer(response, "grpc-status"));
        }

        await probe.WaitForItemsAsync(5);
    }

    [Fact]
    public async Task A_grpc_message_that_stalls_past_bodyIdleTimeout_is_answered_unavailable_with_retry_info()
    {
        await using var pipeline = await StartAsync(Probe.Create(), ", \"bodyIdleTimeout\": \"300ms\", \"retryAfter\": \"2s\"");
        var release = new TaskCompletionSource();
        try
        {
            var (http, response) = await RawGrpcAsync(pipeline.Grpc(), new StalledFrame(1024 * 1024, release.Task), null);
            using (response)
            {
                Assert.Equal(HttpStatusCode.OK, http);
                Assert.Equal(RpcStatus.Unavailable.ToString(System.Globalization.CultureInfo.InvariantCulture), Trailer(response, "grpc-status"));
                var status = Requests.StatusDetails(Trailer(response, "grpc-status-details-bin")!);
                Assert.Contains("bodyIdleTimeout", status.Message, StringComparison.Ordinal);
                Assert.Equal(TimeSpan.FromSeconds(2), RpcStatus.RetryDelay(status));
            }
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task An_http_body_that_stalls_past_bodyIdleTimeout_is_answered_503_with_retry_after_and_a_status()
    {
        await using var pipeline = await StartAsync(Probe.Create(), ", \"bodyIdleTimeout\": \"300ms\", \"retryAfter\": \"2s\"");
        var body = Requests.Traces(5).ToByteArray();

        // Over a plain socket: the request's head and 10 bytes of its body, then nothing.
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, pipeline.Http().Port);
        var stream = socket.GetStream();
        var head = $"POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\nContent-Length: {body.Length}\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(body.AsMemory(0, 10));

        var answer = await ReadHttpResponseAsync(stream);

        Assert.Equal(503, answer.Status);
        Assert.Equal("2", answer.Headers["retry-after"]);
        var status = Status.Parser.ParseFrom(answer.Body);
        Assert.Equal(RpcStatus.Unavailable, status.Code);
        Assert.Contains("bodyIdleTimeout", status.Message, StringComparison.Ordinal);
    }

    /// <summary>Reads one HTTP/1.1 response with a Content-Length body: its status, headers (lower-case names) and body.</summary>
    private static async Task<(int Status, Dictionary<string, string> Headers, byte[] Body)> ReadHttpResponseAsync(Stream stream)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        int headEnd;
        while ((headEnd = IndexOfHeadEnd(received)) < 0)
        {
            var read = await stream.ReadAsync(buffer);
            Assert.True(read > 0, "the connection closed before the response's head");
            received.AddRange(buffer.AsSpan(0, read));
        }

        var lines = System.Text.Encoding.ASCII.GetString([.. received.Take(headEnd)]).Split("\r\n");
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
        var length = int.Parse(headers["content-length"], System.Globalization.CultureInfo.InvariantCulture);
        var bodyBytes = received.Skip(headEnd + 4).ToList();
        while (bodyBytes.Count < length)
        {
            var read = await stream.ReadAsync(buffer);
            Assert.True(read > 0, "the connection closed before the response's body");
            bodyBytes.AddRange(buffer.AsSpan(0, read));
        }

        return (int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), headers, [.. bodyBytes.Take(length)]);

        static int IndexOfHeadEnd(List<byte> bytes)
        {
            for (var i = 0; i + 3 < bytes.Count; i++)
            {
                if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
                {
                    return i;
                }
            }

            return -1;
        }
    }

    [Fact]
    public async Task A_zstd_bomb_of_31_million_empty_scope_spans_gets_413_with_a_status_body_and_nothing_is_delivered()
    {
        var probe = Probe.Create();
        await using var pipeline = await StartAsync(probe);
        var bomb = Zstd(DecodedSizeEstimatorTests.EmptyScopeSpansBomb(31_000_000));
        Assert.True(bomb.Length < 16 * 1024, $"the bomb is {bomb.Length} bytes");

        using var request = Requests.Post(pipeline.Http(), "v1/traces", bomb, "application/x-protobuf", "zstd");
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var status = Status.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(RpcStatus.ResourceExhausted, status.Code);
        Assert.Contains("maxDecodedSize", status.Message, StringComparison.Ordinal);
        Assert.Null(RpcStatus.RetryDelay(status));
        Assert.Equal(0, probe.Items);
        Assert.Equal(1, pipeline.Receiver().Statistics.TooLarge);
    }

    [Fact]
    public async Task Over_max_items_per_request_grpc_gets_resource_exhausted_without_retry_info()
    {
        await using var pipeline = await StartAsync(Probe.Create(), ", \"maxItemsPerRequest\": 10");
        using var channel = GrpcChannel.ForAddress(pipeline.Grpc());

        var error = await Assert.ThrowsAsync<RpcException>(async () => await new TraceService.TraceServiceClient(channel).ExportAsync(Requests.Traces(11)));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("10 items", error.Status.Detail, StringComparison.Ordinal);
        Assert.Null(RpcStatus.RetryDelay(Status.Parser.ParseFrom(error.Trailers.GetValueBytes("grpc-status-details-bin"))));
    }

    [Fact]
    public async Task A_request_whose_decoded_estimate_does_not_fit_the_remaining_budget_is_throttled_although_its_wire_bytes_would()
    {
        var first = DecodedSizeEstimatorTests.RealisticTraces(40);
        var second = DecodedSizeEstimatorTests.RealisticTraces(40);
        var estimate = DecodedSizeEstimator.Scan(ExportTraceServiceRequest.Descriptor, first.ToByteArray(), new DecodeLimits(0, 0, 0)).DecodedBytes;
        var wire = second.CalculateSize();

        // The first request fits; the second's wire bytes would fit beside it, its decoded estimate does not.
        var limit = estimate + (estimate / 2);
        Assert.True(estimate + wire + 64 < limit, "the test's sizes are not what it assumes");
        var probe = Probe.Create();
        probe.Pause();
        await using var pipeline = await StartAsync(probe, ", \"ack\": \"accepted\", \"retryAfter\": \"2s\"", $"\"memoryLimit\": \"{limit}B\",");
        (await Requests.PostProtobufAsync(_client, pipeline.Http(), first)).Dispose();
        await probe.Holding;

        using var response = await Requests.PostProtobufAsync(_client, pipeline.Http(), second);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        var status = Status.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(RpcStatus.ResourceExhausted, status.Code);
        Assert.Equal(TimeSpan.FromSeconds(2), RpcStatus.RetryDelay(status));
        probe.Resume();
        await probe.WaitForItemsAsync(40);
    }

    [Fact]
    public async Task A_grpc_frame_claiming_64MiB_with_no_body_is_answered_deadline_exceeded_with_details_when_its_timeout_passes()
    {
        await using var pipeline = await StartAsync(Probe.Create());
        var release = new TaskCompletionSource();
        try
        {
            var (http, response) = await RawGrpcAsync(pipeline.Grpc(), new StalledFrame(64 * 1024 * 1024, release.Task), "300m");
            using (response)
            {
                Assert.Equal(HttpStatusCode.OK, http);
                Assert.Equal(RpcStatus.DeadlineExceeded.ToString(System.Globalization.CultureInfo.InvariantCulture), Trailer(response, "grpc-status"));
                Assert.NotNull(Trailer(response, "grpc-message"));
                Assert.NotNull(Trailer(response, "grpc-status-details-bin"));
            }
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task A_grpc_frame_claiming_64MiB_whose_stream_ends_early_is_invalid_argument()
    {
        await using var pipeline = await StartAsync(Probe.Create());
        var header = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), 64 * 1024 * 1024);

        var (http, response) = await RawGrpcAsync(pipeline.Grpc(), new ByteArrayContent([.. header, 1, 2, 3]), null);
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, http);
            Assert.Equal(RpcStatus.InvalidArgument.ToString(System.Globalization.CultureInfo.InvariantCulture), Trailer(response, "grpc-status"));
            Assert.Contains("truncated", Uri.UnescapeDataString(Trailer(response, "grpc-message") ?? string.Empty), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(7, 1)]
    [InlineData(2, 1)]
    [InlineData(0, 2)]
    public async Task A_grpc_request_with_a_flag_other_than_0_or_1_or_a_second_message_is_invalid_argument_and_nothing_is_delivered(byte flag, int messages)
    {
        var probe = Probe.Create();
        await using var pipeline = await StartAsync(probe);
        var frame = Frame(Requests.Traces(3).ToByteArray());
        frame[0] = flag;
        var body = Enumerable.Repeat(frame, messages).SelectMany(f => f).ToArray();

        var (http, response) = await RawGrpcAsync(pipeline.Grpc(), new ByteArrayContent(body), null);
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, http);
            Assert.Equal(RpcStatus.InvalidArgument.ToString(System.Globalization.CultureInfo.InvariantCulture), Trailer(response, "grpc-status"));
            Assert.NotNull(Trailer(response, "grpc-status-details-bin"));
        }

        Assert.Equal(0, probe.Items);
    }

    [Fact]
    public async Task A_grpc_timeout_of_99999999_seconds_is_clamped_and_the_request_succeeds()
    {
        var probe = Probe.Create();
        await using var pipeline = await StartAsync(probe);

        var (http, response) = await RawGrpcAsync(pipeline.Grpc(), new ByteArrayContent(Frame(Requests.Traces(3).ToByteArray())), "99999999S");
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, http);
            Assert.Equal("0", Trailer(response, "grpc-status"));
        }

        Assert.Equal(3, probe.Items);
    }

    [Fact]
    public async Task In_delivered_mode_a_grpc_client_gets_unavailable_with_retry_info_when_the_ack_timeout_passes()
    {
        var probe = Probe.Create();
        probe.Pause();
        await using var pipeline = await StartAsync(probe, ", \"ackTimeout\": \"200ms\", \"retryAfter\": \"3s\"");
        using var channel = GrpcChannel.ForAddress(pipeline.Grpc());

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await new TraceService.TraceServiceClient(channel).ExportAsync(Requests.Traces(4), deadline: DateTime.UtcNow.AddSeconds(30)));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("ackTimeout", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(3), RpcStatus.RetryDelay(Status.Parser.ParseFrom(error.Trailers.GetValueBytes("grpc-status-details-bin"))));
        Assert.Equal(1, pipeline.Receiver().Statistics.AckTimeouts);

        // The batch stayed in the pipeline: it is delivered once the sink resumes.
        probe.Resume();
        await probe.WaitForItemsAsync(4);
    }

    [Fact]
    public async Task In_delivered_mode_an_http_client_gets_503_with_retry_after_when_the_ack_timeout_passes()
    {
        var probe = Probe.Create();
        probe.Pause();
        await using var pipeline = await StartAsync(probe, ", \"ackTimeout\": \"200ms\", \"retryAfter\": \"3s\"");

        using var response = await Requests.PostProtobufAsync(_client, pipeline.Http(), Requests.Traces(2));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter?.Delta);
        var status = Status.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(RpcStatus.Unavailable, status.Code);
        Assert.Contains("may still be delivered", status.Message, StringComparison.Ordinal);
        probe.Resume();
        await probe.WaitForItemsAsync(2);
    }

    [Fact]
    public async Task An_oversized_json_body_is_refused_on_its_estimated_decoded_size()
    {
        await using var pipeline = await StartAsync(Probe.Create(), ", \"maxDecodedSize\": \"64KiB\"");
        var json = System.Text.Encoding.UTF8.GetBytes(OtlpFlow.Engine.Otlp.OtlpJson.Format(Requests.Traces(200)));
        Assert.True(json.Length * 4 > 64 * 1024 && json.Length < 64 * 1024, $"the body is {json.Length} bytes");

        using var request = Requests.Post(pipeline.Http(), "v1/traces", json, "application/json");
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("maxDecodedSize", RpcStatus.ParseJson(await response.Content.ReadAsStringAsync()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_small_zstd_json_body_expanding_to_millions_of_values_is_refused_before_it_is_parsed()
    {
        var probe = Probe.Create();
        await using var pipeline = await StartAsync(probe);

        // 24 MB of "0," under a key the parser does not know: 12 million values, a few KB on the wire.
        var text = new System.Text.StringBuilder("{\"resourceSpans\":[],\"padding\":[");
        text.Insert(text.Length, "0,", 12_000_000).Append("0]}");
        var body = Zstd(System.Text.Encoding.UTF8.GetBytes(text.ToString()));
        Assert.True(body.Length < 64 * 1024, $"the body is {body.Length} bytes");

        using var request = Requests.Post(pipeline.Http(), "v1/traces", body, "application/json", "zstd");
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("maxElementsPerRequest", RpcStatus.ParseJson(await response.Content.ReadAsStringAsync()).Message, StringComparison.Ordinal);
        Assert.Equal(0, probe.Items);
    }
}
