using System.Text.Json;
using OtlpFlow.Operators.Arrow.Flight;
using OtlpFlow.Operators.Arrow.Tests.Support;

namespace OtlpFlow.Operators.Arrow.Tests.Flight;

/// <summary>An exporter pipeline sends to a receiver pipeline over real gRPC on 127.0.0.1.</summary>
public sealed class FlightLoopbackTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("traces", 1, "delivered")]
    [InlineData("metrics", 2, "accepted")]
    [InlineData("logs", 3, "delivered")]
    public async Task Everything_sent_arrives_acknowledged_and_the_pools_return_to_zero(string signal, int streams, string ack)
    {
        var direct = _dir.File("direct.json");
        var received = _dir.File("received.json");
        var generate = $$"""{ "type": "generate", "signal": "{{signal}}", "count": 4000, "batchSize": 200, "seed": 5 }""";
        await using (await Pipelines.RunToEndAsync($$"""
            { "operators": {
                "gen": {{generate}},
                "out": { "type": "file.writer", "inputs": ["gen"], "path": {{JsonSerializer.Serialize(direct)}} } } }
            """))
        {
        }

        await using var gateway = Pipelines.Build($$"""
            { "operators": {
                "in":  { "type": "arrow.flight.receiver", "endpoint": "127.0.0.1:0", "ack": "{{ack}}" },
                "out": { "type": "file.writer", "inputs": ["in"], "path": {{JsonSerializer.Serialize(received)}} } } }
            """);
        await gateway.StartAsync();
        var receiver = (ArrowFlightReceiverOperator)gateway.Operators["in"];

        var edge = await Pipelines.RunToEndAsync($$"""
            { "operators": {
                "gen": {{generate}},
                "out": { "type": "arrow.flight.exporter", "inputs": ["gen"], "endpoint": "{{receiver.Endpoint}}",
                         "streams": {{streams}}, "parallelism": {{streams}} } } }
            """);
        var exporter = (ArrowFlightExporterOperator)edge.Operators["out"];

        // The edge goes first so that its connection is closed when the gateway stops.
        await edge.DisposeAsync();
        await gateway.StopAsync(TimeSpan.FromSeconds(30));

        Assert.True(edge.Counters["out"].Balanced && gateway.Counters["out"].Balanced, "items in must equal items out plus dropped");
        Assert.Equal(0, edge.Counters["out"].ItemsDropped);
        Assert.Equal(4000, gateway.Counters["out"].ItemsIn);
        Assert.Equal(20, exporter.Acknowledged);
        Assert.Equal(20, receiver.Batches);
        Assert.Equal(streams, exporter.StreamsOpened);
        Assert.Equal(streams, receiver.Streams);
        Assert.Equal(0, exporter.Memory.LiveBytes);
        Assert.Equal(0, receiver.Memory.LiveBytes);
        Assert.True(exporter.Memory.PeakBytes > 0 && receiver.Memory.PeakBytes > 0, "the pools should have counted the messages in flight");
        if (streams == 1)
        {
            // One stream keeps the order, so the files match byte for byte.
            Assert.Equal(await File.ReadAllBytesAsync(direct), await File.ReadAllBytesAsync(received));
        }
        else
        {
            Assert.Equal(
                File.ReadAllLines(direct).Where(l => l.Length > 0).Order(StringComparer.Ordinal),
                File.ReadAllLines(received).Where(l => l.Length > 0).Order(StringComparer.Ordinal));
        }
    }
}
