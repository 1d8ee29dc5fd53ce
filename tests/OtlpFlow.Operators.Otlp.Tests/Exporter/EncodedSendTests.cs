using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Otlp.Exporter;
using OtlpFlow.Operators.Otlp.Tests.Support;

namespace OtlpFlow.Operators.Otlp.Tests.Exporter;

/// <summary>An encoded batch goes out as its bytes, over gRPC and OTLP/HTTP protobuf, without its objects being built.</summary>
public sealed class EncodedSendTests
{
    [Theory]
    [InlineData("grpc", "none")]
    [InlineData("grpc", "zstd")]
    [InlineData("http/protobuf", "gzip")]
    public async Task An_encoded_batch_is_sent_as_its_bytes_and_arrives_unchanged(string protocol, string compression)
    {
        var probe = Probe.Create();
        await using var receiver = await TestPipeline.StartAsync($$"""
            { "operators": {
                "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:0", "http": "127.0.0.1:0" },
                "out": { "type": "test.probe", "inputs": ["in"], "name": "{{probe.Name}}" } } }
            """);
        var endpoint = (protocol == "grpc" ? receiver.Grpc() : receiver.Http()).ToString().TrimEnd('/');
        var options = new OtlpExporterOptions
        {
            Endpoint = endpoint,
            Protocol = protocol == "grpc" ? OtlpProtocol.Grpc : OtlpProtocol.HttpProtobuf,
            Compression = compression switch { "zstd" => OtlpCompression.Zstd, "gzip" => OtlpCompression.Gzip, _ => OtlpCompression.None },
        };
        await using IOtlpSender sender = protocol == "grpc" ? new GrpcOtlpSender(options) : new HttpOtlpSender(options, TimeProvider.System);

        // Large enough to span several segments.
        var request = Requests.Traces(2000);
        var batch = TelemetryBatch.FromEncoded(Signal.Traces, SegmentedBytes.Encode(request), 2000);
        var result = await sender.SendAsync(batch, CancellationToken.None);

        Assert.True(result.Succeeded, result.Message);
        Assert.True(batch.TryGetEncoded(out _), "the batch was sent without being decoded");
        await probe.WaitForItemsAsync(2000);
        Assert.Equal(request, Assert.Single(probe.Payloads<ExportTraceServiceRequest>()));
    }
}
