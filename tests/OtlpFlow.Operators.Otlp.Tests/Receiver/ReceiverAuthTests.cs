using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Operators.Otlp.Exporter;
using OtlpFlow.Operators.Otlp.Tests.Support;

namespace OtlpFlow.Operators.Otlp.Tests.Receiver;

/// <summary>Bearer-token authentication on both protocols, and an exporter that sends the token.</summary>
public sealed class ReceiverAuthTests : IAsyncLifetime
{
    private readonly Probe _probe = Probe.Create();
    private TestPipeline _pipeline = null!;

    public async Task InitializeAsync() => _pipeline = await TestPipeline.StartAsync($$"""
        { "operators": {
            "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:0", "http": "127.0.0.1:0", "bearerToken": "s3cret" },
            "out": { "type": "test.probe", "inputs": ["in"], "name": "{{_probe.Name}}" } } }
        """);

    public async Task DisposeAsync() => await _pipeline.DisposeAsync();

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong")]
    [InlineData("Basic czNjcmV0")]
    public async Task Http_without_the_right_token_is_401(string? authorization)
    {
        using var client = Requests.Client();
        using var request = Requests.Post(_pipeline.Http(), "v1/traces", Google.Protobuf.MessageExtensions.ToByteArray(Requests.Traces(1)), "application/x-protobuf");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, _probe.Items);
    }

    [Fact]
    public async Task Grpc_without_the_token_is_unauthenticated()
    {
        using var channel = GrpcChannel.ForAddress(_pipeline.Grpc());
        var error = await Assert.ThrowsAsync<RpcException>(async () => await new TraceService.TraceServiceClient(channel).ExportAsync(Requests.Traces(1)));
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task An_exporter_sending_the_token_in_its_headers_is_accepted(string protocol)
    {
        var endpoint = (protocol == "grpc" ? _pipeline.Grpc() : _pipeline.Http()).ToString().TrimEnd('/');
        await using var sender = await TestPipeline.StartAsync($$"""
            { "operators": {
                "gen": { "type": "generate", "count": 100, "batchSize": 50 },
                "exp": { "type": "otlp.exporter", "inputs": ["gen"], "endpoint": "{{endpoint}}", "protocol": "{{protocol}}",
                         "headers": { "authorization": "Bearer s3cret" } } } }
            """);
        await sender.Pipeline.Completion;

        Assert.Equal(100, ((OtlpExporterOperator)sender.Pipeline.Operators["exp"]).Statistics.SentItems);
        Assert.Equal(100, _probe.Items);
    }
}
