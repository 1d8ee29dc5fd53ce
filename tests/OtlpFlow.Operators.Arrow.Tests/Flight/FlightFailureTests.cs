using System.Net;
using System.Net.Sockets;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Arrow.Flight;
using OtlpFlow.Operators.Arrow.Tests.Support;

namespace OtlpFlow.Operators.Arrow.Tests.Flight;

public sealed class FlightFailureTests
{
    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Batches_to_an_absent_receiver_fail_instead_of_hanging_and_release_their_memory()
    {
        await using var edge = await Pipelines.RunToEndAsync($$"""
            { "operators": {
                "gen": { "type": "generate", "count": 600, "batchSize": 200 },
                "out": { "type": "arrow.flight.exporter", "inputs": ["gen"], "endpoint": "http://127.0.0.1:{{UnusedPort()}}", "ackTimeout": "10s" } } }
            """);

        var exporter = (ArrowFlightExporterOperator)edge.Operators["out"];
        Assert.Equal(0, exporter.Acknowledged);
        Assert.Equal(0, exporter.Memory.LiveBytes);
        Assert.Equal(600, edge.Counters["out"].ItemsDropped);
    }

    [Fact]
    public async Task A_failure_downstream_of_the_receiver_is_reported_back_and_fails_the_exported_batch()
    {
        var (gateway, receiver) = await StartGatewayAsync("test.fail");
        await using var _ = gateway;

        var edge = await Pipelines.RunToEndAsync($$"""
            { "operators": {
                "gen": { "type": "generate", "count": 400, "batchSize": 200 },
                "out": { "type": "arrow.flight.exporter", "inputs": ["gen"], "endpoint": "{{receiver.Endpoint}}" } } }
            """);
        var exporter = (ArrowFlightExporterOperator)edge.Operators["out"];
        await edge.DisposeAsync();
        await gateway.StopAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, exporter.Acknowledged);
        Assert.Equal(2, receiver.Batches);
        Assert.Equal(0, exporter.Memory.LiveBytes);
        Assert.Equal(0, receiver.Memory.LiveBytes);
    }

    [Fact]
    public async Task A_batch_unacknowledged_past_the_timeout_fails_and_the_next_batch_goes_on_a_new_stream()
    {
        var (gateway, receiver) = await StartGatewayAsync("test.stall");
        await using var _ = gateway;
        var sink = (StallingSink)gateway.Operators["out"];

        await using var edge = Pipelines.Build($$"""
            { "operators": {
                "gen": { "type": "generate", "count": 300, "batchSize": 100 },
                "out": { "type": "arrow.flight.exporter", "inputs": ["gen"], "endpoint": "{{receiver.Endpoint}}", "ackTimeout": "1s" } } }
            """);
        await edge.StartAsync();
        var exporter = (ArrowFlightExporterOperator)edge.Operators["out"];

        // The first batch is held by the gateway's sink until the exporter gives up on it.
        await Poll.UntilAsync(() => edge.Counters["out"].ItemsDropped == 100, "the first batch to time out", TimeSpan.FromSeconds(30));
        sink.Release();
        await edge.Completion.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exporter.Acknowledged);
        Assert.Equal(2, exporter.StreamsOpened);
        Assert.Equal(100, edge.Counters["out"].ItemsDropped);
        await Poll.UntilAsync(() => sink.Items == 300, "the gateway to deliver every batch", TimeSpan.FromSeconds(30));
        Assert.Equal(0, exporter.Memory.LiveBytes);
    }

    /// <summary>Starts a gateway: a Flight receiver acknowledging on delivery, feeding a sink of <paramref name="sinkType"/>.</summary>
    private static async Task<(OtlpFlow.Engine.Pipeline.RunningPipeline Gateway, ArrowFlightReceiverOperator Receiver)> StartGatewayAsync(string sinkType)
    {
        var gateway = Pipelines.Build($$"""
            { "operators": {
                "in":  { "type": "arrow.flight.receiver", "endpoint": "127.0.0.1:0", "ack": "delivered" },
                "out": { "type": "{{sinkType}}", "inputs": ["in"] } } }
            """);
        await gateway.StartAsync();
        return (gateway, (ArrowFlightReceiverOperator)gateway.Operators["in"]);
    }
}
