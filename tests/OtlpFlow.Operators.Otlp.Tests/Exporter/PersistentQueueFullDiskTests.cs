using System.Net;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Otlp.Tests.Support;

namespace OtlpFlow.Operators.Otlp.Tests.Exporter;

/// <summary>
/// The persistent queue on a real 2 MiB tmpfs: its peer is down until the disk is full, then comes
/// back; the queue resumes by itself, and after a restart every span a client was answered 200 for
/// has been delivered, and spans are sent again only within what the last progress record allows.
/// </summary>
public sealed class PersistentQueueFullDiskTests
{
    private const int SpansPerRequest = 50;


    private static Task<TestPipeline> StartFrontAsync(string queuePath, int peerPort) => TestPipeline.StartAsync($$"""
        { "operators": {
            "in":  { "type": "otlp.receiver", "http": "127.0.0.1:0", "ack": "delivered" },
            "exp": { "type": "otlp.exporter", "inputs": ["in"], "endpoint": "http://127.0.0.1:{{peerPort}}", "compression": "none",
                     "timeout": "2s", "retry": { "initial": "20ms", "max": "200ms", "maxElapsed": "1s" },
                     "queue": { "path": "{{queuePath}}", "consumers": 1, "maxBytes": "64MiB" } } } }
        """);

    [TmpfsFact]
    public async Task A_full_disk_loses_nothing_acknowledged_and_the_queue_resumes_when_its_peer_returns()
    {
        using var disk = SmallTmpfs.Mount("2m");
        var queuePath = Path.Combine(disk.Path, "queue");
        var peerPort = Ports.Free();
        using var client = Requests.Client();
        var acknowledged = new HashSet<ByteString>();
        var seed = 0;

        async Task<HttpStatusCode> SendAsync(TestPipeline front)
        {
            var request = Requests.Traces(SpansPerRequest, seed: ++seed);
            using var response = await Requests.PostProtobufAsync(client, front.Http(), request);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                foreach (var span in request.ResourceSpans[0].ScopeSpans[0].Spans)
                {
                    acknowledged.Add(span.SpanId);
                }
            }
            else
            {
                // Refusals name their cause in the body.
                Assert.NotEmpty(await response.Content.ReadAsByteArrayAsync());
            }

            return response.StatusCode;
        }

        var front = await StartFrontAsync(queuePath, peerPort);
        try
        {
            // The peer is down: the queue fills the disk, then clients are told to retry.
            var refused = 0;
            for (var i = 0; i < 2000 && refused < 5; i++)
            {
                var status = await SendAsync(front);
                if (status != HttpStatusCode.OK)
                {
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
                    refused++;
                }
            }

            Assert.Equal(5, refused);
            Assert.True(acknowledged.Count > 1000, $"only {acknowledged.Count} spans fitted on the disk");

            // The peer returns: the queue sends, frees its segments, and takes new data again.
            var probe = Probe.Create();
            await using var peer = await TestPipeline.StartAsync($$"""
                { "operators": {
                    "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:{{peerPort}}" },
                    "out": { "type": "test.probe", "inputs": ["in"], "name": "{{probe.Name}}" } } }
                """);
            await Poll.UntilAsync(async () => await SendAsync(front) == HttpStatusCode.OK, "the queue to take data again once its peer is back", TimeSpan.FromSeconds(60));
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal(HttpStatusCode.OK, await SendAsync(front));
            }

            // Restart mid-way: what was not yet sent is sent by the next run.
            await front.DisposeAsync();
            front = await StartFrontAsync(queuePath, peerPort);
            await Poll.UntilAsync(() => !Directory.EnumerateFiles(queuePath, "*.seg").Any(f => new FileInfo(f).Length > 0), "the restarted queue to send everything", TimeSpan.FromSeconds(60));
            await Poll.UntilAsync(() => probe.Items >= acknowledged.Count, "every acknowledged span at the peer", TimeSpan.FromSeconds(60));

            var delivered = probe.Payloads<ExportTraceServiceRequest>().SelectMany(r => r.ResourceSpans).SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).Select(s => s.SpanId).ToList();
            Assert.Empty(acknowledged.Except(delivered));

            // Duplicates are bounded: at most what the queue held at the restart.
            var duplicates = delivered.Count - delivered.Distinct().Count();
            Assert.True(duplicates <= acknowledged.Count / 2, $"{duplicates} spans delivered twice");
            Assert.Equal(0, front.Pipeline.Counters["exp"].Errors);
        }
        finally
        {
            await front.DisposeAsync();
        }
    }
}
