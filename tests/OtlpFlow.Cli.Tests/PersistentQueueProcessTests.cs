using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Hosting;

namespace OtlpFlow.Cli.Tests;

/// <summary>
/// The persistent queue across a real crash: an `otlpflow run` process whose exporter peer is down
/// acknowledges spans to its client, is killed, and its next run delivers every one of them.
/// </summary>
public sealed class PersistentQueueProcessTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("otlpflow-pq-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static ExportTraceServiceRequest Request(int index)
    {
        var scope = new ScopeSpans();
        for (var i = 0; i < 5; i++)
        {
            var traceId = new byte[16];
            BitConverter.TryWriteBytes(traceId, index);
            scope.Spans.Add(new Span
            {
                Name = $"op-{index}-{i}",
                TraceId = ByteString.CopyFrom(traceId),
                SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)(index * 10) + i + 1)),
            });
        }

        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { scope } } } };
    }

    [Fact]
    public async Task Spans_acknowledged_before_a_kill_are_delivered_by_the_next_run()
    {
        var clientPort = OtlpflowProcess.FreePort();
        var peerPort = OtlpflowProcess.FreePort();
        var queue = Path.Combine(_folder, "queue").Replace('\\', '/');
        var edge = Path.Combine(_folder, "edge.json");
        await File.WriteAllTextAsync(edge, $$"""
            { "name": "edge", "operators": {
                "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:{{clientPort}}", "ack": "delivered" },
                "out": { "type": "otlp.exporter", "inputs": ["in"], "endpoint": "http://127.0.0.1:{{peerPort}}",
                         "retry": { "initial": "100ms", "max": "500ms", "maxElapsed": "0s" },
                         "queue": { "path": "{{queue}}", "consumers": 2 } } } }
            """);

        // First run: every export call is answered OK once its spans are on disk, with the peer down.
        const int Requests = 20;
        await using (var first = OtlpflowProcess.Start("run", edge))
        {
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{clientPort}");
            var client = new TraceService.TraceServiceClient(channel);
            await Poll.UntilAsync(() => CanExport(client), "the first otlpflow run to listen", TimeSpan.FromSeconds(60));
            for (var i = 1; i < Requests; i++)
            {
                var response = await client.ExportAsync(Request(i), deadline: DateTime.UtcNow.AddSeconds(30));
                Assert.Null(response.PartialSuccess);
            }

            await first.KillAsync();
        }

        Assert.NotEmpty(Directory.GetFiles(queue, "*.seg"));

        // The peer comes up; the second run sends what the first one acknowledged.
        var output = Path.Combine(_folder, "received.jsonl").Replace('\\', '/');
        var peer = new PipelineBuilder(new OtlpFlowBuilder().BuildRegistry()).Build(PipelineLoader.Parse($$"""
            { "name": "peer", "operators": {
                "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:{{peerPort}}" },
                "out": { "type": "file.writer", "inputs": ["in"], "path": "{{output}}", "format": "json" } } }
            """));
        await peer.StartAsync();
        await using (var second = OtlpflowProcess.Start("run", edge))
        {
            try
            {
                await Poll.UntilAsync(() => peer.Counters["out"].ItemsIn >= Requests * 5, "every acknowledged span to reach the peer", TimeSpan.FromSeconds(90));
            }
            finally
            {
                await peer.StopAsync();
            }
        }

        var names = File.ReadLines(output)
            .Select(OtlpJson.Parse<ExportTraceServiceRequest>)
            .SelectMany(r => r.ResourceSpans).SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans)
            .Select(s => s.Name)
            .ToHashSet();
        var expected = Enumerable.Range(0, Requests).SelectMany(i => Enumerable.Range(0, 5).Select(j => $"op-{i}-{j}"));
        Assert.All(expected, name => Assert.Contains(name, names));
    }

    // The probe request is the first of the run (index 0): once it is answered OK, it is on disk too.
    private static bool CanExport(TraceService.TraceServiceClient client)
    {
        try
        {
            client.Export(Request(0), deadline: DateTime.UtcNow.AddSeconds(10));
            return true;
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal)
        {
            return false;
        }
    }
}
