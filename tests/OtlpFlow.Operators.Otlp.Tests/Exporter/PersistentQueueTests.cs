using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Operators.Otlp.Exporter;
using OtlpFlow.Operators.Otlp.Tests.Support;

namespace OtlpFlow.Operators.Otlp.Tests.Exporter;

/// <summary>otlp.exporter with <c>queue.path</c>: what reached the disk survives the run and is sent by the next one.</summary>
public sealed class PersistentQueueTests
{
    private static async Task<TestPipeline> RunSenderAsync(int port, string queuePath, int count, int seed)
    {
        var sender = await TestPipeline.StartAsync($$"""
            { "operators": {
                "gen": { "type": "generate", "signal": "traces", "count": {{count}}, "batchSize": 100, "seed": {{seed}} },
                "exp": { "type": "otlp.exporter", "inputs": ["gen"], "endpoint": "http://127.0.0.1:{{port}}", "compression": "none",
                         "timeout": "2s", "retry": { "initial": "20ms", "max": "100ms", "maxElapsed": "0s" },
                         "queue": { "path": "{{queuePath.Replace("\\", "/", StringComparison.Ordinal)}}", "consumers": 2, "maxBytes": "16MiB" } } } }
            """);
        await sender.Pipeline.Completion;
        return sender;
    }

    [Fact]
    public async Task Batches_queued_while_the_peer_is_down_are_sent_by_the_next_run_oldest_first()
    {
        using var folder = new TempDirectory();
        var queuePath = folder.File("queue");
        var port = Ports.Free();

        // First run: the peer is down. Every batch is settled once on disk, and the drain leaves
        // them there instead of waiting for a peer that does not answer.
        await using (var first = await RunSenderAsync(port, queuePath, 1000, seed: 3))
        {
            Assert.Equal(1000, first.Pipeline.Counters["exp"].ItemsIn);
            Assert.Equal(0, first.Pipeline.Counters["exp"].Errors);
            Assert.Equal(0, ((OtlpExporterOperator)first.Pipeline.Operators["exp"]).Statistics.SentItems);
        }

        Assert.NotEmpty(Directory.GetFiles(queuePath, "*.seg"));

        // Second run, peer up: the 1000 queued spans go first, then the run's own 100.
        var probe = Probe.Create();
        await using var receiver = await TestPipeline.StartAsync($$"""
            { "operators": {
                "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:{{port}}" },
                "out": { "type": "test.probe", "inputs": ["in"], "name": "{{probe.Name}}" } } }
            """);
        await using var second = await RunSenderAsync(port, queuePath, 100, seed: 4);

        Assert.Equal(1100, probe.Items);
        var spans = probe.Payloads<ExportTraceServiceRequest>().SelectMany(r => r.ResourceSpans).SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).ToList();
        Assert.Equal(1100, spans.Select(s => (s.TraceId, s.SpanId)).Distinct().Count());
        Assert.Equal(1100, ((OtlpExporterOperator)second.Pipeline.Operators["exp"]).Statistics.SentItems);
        Assert.Empty(Directory.GetFiles(queuePath, "*.seg"));
    }

    [Fact]
    public async Task A_persistent_queue_with_a_live_peer_sends_everything_before_the_run_ends()
    {
        using var folder = new TempDirectory();
        var probe = Probe.Create();
        await using var receiver = await TestPipeline.StartAsync($$"""
            { "operators": {
                "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:0" },
                "out": { "type": "test.probe", "inputs": ["in"], "name": "{{probe.Name}}" } } }
            """);
        await using var sender = await RunSenderAsync(receiver.Grpc().Port, folder.File("queue"), 2000, seed: 5);

        Assert.Equal(2000, probe.Items);
        Assert.Equal(0, sender.Pipeline.Counters["exp"].Errors);
        Assert.Empty(Directory.GetFiles(folder.File("queue"), "*.seg"));
    }

    [Fact]
    public void A_queue_budget_below_64KiB_is_refused_with_the_option_named()
    {
        var options = new OtlpQueueOptions { Path = "q", MaxBytes = OtlpFlow.Engine.Options.ByteSize.FromMiB(0) };
        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).ToList();
        Assert.Contains(errors, e => e.MemberNames.Contains(nameof(OtlpQueueOptions.MaxBytes)) && e.ErrorMessage!.Contains("64KiB", StringComparison.Ordinal));
    }
}
