using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Coordination.Etcd;
using OtlpFlow.Operators.Coordination.Tests.Servers;
using OtlpFlow.Operators.Routing;

namespace OtlpFlow.Operators.Coordination.Tests.Routing;

[Collection(ServersCollection.Name)]
public sealed class EtcdPartitioningTests(ServersFixture servers)
{
    private const int Traces = 4000;

    private EtcdCoordinator Coordinator(string prefix, string id) => new(new EtcdOptions
    {
        Endpoints = [servers.Etcd.Endpoint],
        Prefix = prefix,
        MemberId = id,
        LeaseTtl = TimeSpan.FromSeconds(5),
    });

    /// <summary>Two spans for each of <see cref="Traces"/> traces, the spans of a trace in different resource groups.</summary>
    private static TelemetryBatch Batch()
    {
        var random = new Random(7);
        var request = new ExportTraceServiceRequest();
        var first = new ScopeSpans();
        var second = new ScopeSpans();
        for (var t = 0; t < Traces; t++)
        {
            var traceId = new byte[16];
            random.NextBytes(traceId);
            first.Spans.Add(new Span { TraceId = ByteString.CopyFrom(traceId), SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)t)), Name = "a" });
            second.Spans.Add(new Span { TraceId = ByteString.CopyFrom(traceId), SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)t + Traces)), Name = "b" });
        }

        request.ResourceSpans.Add(new ResourceSpans { ScopeSpans = { first } });
        request.ResourceSpans.Add(new ResourceSpans { ScopeSpans = { second } });
        return TelemetryBatch.Create(request);
    }

    /// <summary>Which member got each trace; fails when the spans of one trace went to two members.</summary>
    private static async Task<Dictionary<ByteString, string>> OwnersAsync(ConsistentHashOperator partitioner)
    {
        var output = new RecordingOutput();
        await partitioner.ProcessAsync(Batch(), output, CancellationToken.None);
        var owners = new Dictionary<ByteString, string>();
        foreach (var (port, batch) in output.Emitted)
        {
            foreach (var span in batch.Traces!.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans))
            {
                if (owners.TryGetValue(span.TraceId, out var owner))
                {
                    Assert.True(owner == port, $"a trace went to both {owner} and {port}");
                }

                owners[span.TraceId] = port;
            }
        }

        Assert.Equal(Traces, owners.Count);
        return owners;
    }

    [EtcdFact]
    public async Task Instances_joining_and_leaving_in_etcd_move_about_one_nth_of_the_traces_and_keep_each_trace_whole()
    {
        var prefix = ServersFixture.UniquePrefix("partition");
        await using var a = Coordinator(prefix, "a");
        await using var b = Coordinator(prefix, "b");
        await using var c = Coordinator(prefix, "c");
        await using var d = Coordinator(prefix, "d");
        await Task.WhenAll(a.StartAsync(), b.StartAsync(), c.StartAsync());

        // The partitioner runs on instance a and follows the etcd membership ("membership": "etcd").
        var services = new ServiceCollection().AddEtcdCoordination(a).BuildServiceProvider();
        await using var partitioner = new ConsistentHashOperator(
            new ConsistentHashOptions { Members = ["a", "b", "c", "d"], Membership = "etcd" },
            TestOperatorContext.Create("part", "partition.consistentHash", services: services));
        await partitioner.StartAsync(CancellationToken.None);
        await Poll.UntilAsync(() => partitioner.CurrentMembers.Order().SequenceEqual(["a", "b", "c"]), "a, b and c");
        var three = await OwnersAsync(partitioner);

        // d joins: only the traces d now wins move, and they all move to d.
        await d.StartAsync();
        await Poll.UntilAsync(() => partitioner.CurrentMembers.Count == 4, "d to join");
        var four = await OwnersAsync(partitioner);
        var moved = four.Where(kv => three[kv.Key] != kv.Value).ToArray();
        Assert.All(moved, kv => Assert.Equal("d", kv.Value));
        Assert.InRange(moved.Length / (double)Traces, 0.25 - 0.05, 0.25 + 0.05);

        // b leaves (crashes): only b's traces move, spread over the others.
        await b.AbandonAsync();
        await Poll.UntilAsync(() => partitioner.CurrentMembers.Count == 3, "b to leave after its lease expires");
        var afterLeave = await OwnersAsync(partitioner);
        var movedAgain = afterLeave.Where(kv => four[kv.Key] != kv.Value).ToArray();
        Assert.All(movedAgain, kv => Assert.Equal("b", four[kv.Key]));
        Assert.Equal(four.Count(kv => kv.Value == "b"), movedAgain.Length);
        Assert.InRange(movedAgain.Length / (double)Traces, 0.25 - 0.05, 0.25 + 0.05);
        Assert.DoesNotContain("b", afterLeave.Values);
    }
}
