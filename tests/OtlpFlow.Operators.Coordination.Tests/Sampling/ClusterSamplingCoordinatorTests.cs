using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Coordination.Etcd;
using OtlpFlow.Operators.Coordination.Sampling;
using OtlpFlow.Operators.Coordination.Tests.Servers;
using OtlpFlow.Operators.Sampling;

namespace OtlpFlow.Operators.Coordination.Tests.Sampling;

[Collection(ServersCollection.Name)]
public sealed class ClusterSamplingCoordinatorTests(ServersFixture servers)
{
    private EtcdCoordinator Coordinator(string prefix, string id) => new(new EtcdOptions
    {
        Endpoints = [servers.Etcd.Endpoint],
        Prefix = prefix,
        MemberId = id,
        LeaseTtl = TimeSpan.FromSeconds(5),
    });

    [EtcdFact]
    public async Task The_leader_turns_every_members_throughput_into_probabilities_that_all_members_apply()
    {
        var prefix = ServersFixture.UniquePrefix("sampling");
        var coordinators = new[] { Coordinator(prefix, "a"), Coordinator(prefix, "b"), Coordinator(prefix, "c") };
        var samplers = coordinators.Select(c => new ClusterSamplingCoordinator(c, TimeSpan.FromHours(1))).ToArray();
        try
        {
            await Task.WhenAll(coordinators.Select(c => c.StartAsync()));
            foreach (var sampler in samplers)
            {
                sampler.Start();
                sampler.Report("adaptive", new Dictionary<string, double> { ["busy"] = 100, ["rare"] = 10 }, 60);
            }

            await Poll.UntilAsync(() => coordinators.Count(c => c.IsLeader) == 1, "a leader");
            var prefixKeys = prefix + "/sampling/adaptive/throughput/";
            await Poll.UntilAsync(async () => (await coordinators[0].GetPrefixAsync(prefixKeys)).Count == 3, "three reports");
            var published = await Task.WhenAll(samplers.Select(s => s.PublishIfLeaderAsync()));
            Assert.Equal(1, published.Count(p => p));

            foreach (var sampler in samplers)
            {
                await Poll.UntilAsync(() => sampler.Probabilities("adaptive") is { Count: 2 }, "the probabilities on every member");
                Assert.Equal(0.1, sampler.Probabilities("adaptive")!["busy"], 9);
                Assert.Equal(1.0, sampler.Probabilities("adaptive")!["rare"]);
            }
        }
        finally
        {
            foreach (var sampler in samplers)
            {
                await sampler.DisposeAsync();
            }

            foreach (var coordinator in coordinators)
            {
                await coordinator.DisposeAsync();
            }
        }
    }

    [EtcdFact]
    public async Task Adaptive_sampling_with_cluster_scope_reports_its_throughput_and_applies_the_cluster_probability()
    {
        var prefix = ServersFixture.UniquePrefix("adaptive");
        await using var coordinator = Coordinator(prefix, "a");
        await coordinator.StartAsync();
        await Poll.UntilAsync(() => coordinator.IsLeader, "a to lead");
        await using var cluster = new ClusterSamplingCoordinator(coordinator, TimeSpan.FromHours(1));
        cluster.Start();
        var services = new ServiceCollection().AddSingleton<IClusterSampling>(cluster).BuildServiceProvider();
        var time = new FakeTimeProvider();
        await using var sampler = new AdaptiveSamplingOperator(
            new AdaptiveSamplingOptions { TargetPerSecond = 10, Scope = SamplingScope.Cluster },
            TestOperatorContext.Create("adaptive", "sampling.adaptive", time, services));
        await sampler.StartAsync(CancellationToken.None);

        // One interval of 1500 spans (100/s): locally that would keep 10/100 = 0.1.
        await sampler.ProcessAsync(Spans(1500), new RecordingOutput(), CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(15));
        await sampler.ProcessAsync(Spans(1), new RecordingOutput(), CancellationToken.None);
        var key = Assert.Single(sampler.Probabilities.Keys);
        Assert.Equal(0.1, sampler.Probabilities[key], 3);

        // Two more instances report the same throughput: the cluster's 300/s must keep 10/s.
        await Poll.UntilAsync(async () => (await coordinator.GetPrefixAsync(prefix + "/sampling/adaptive/throughput/")).Count == 1, "the sampler's report");
        var others = new Dictionary<string, double> { [key] = 200 };
        await coordinator.PutAsync(prefix + "/sampling/adaptive/throughput/others", System.Text.Json.JsonSerializer.Serialize(new { target = 10, rates = others }));
        Assert.True(await cluster.PublishIfLeaderAsync());
        await Poll.UntilAsync(() => cluster.Probabilities("adaptive") is not null, "the published probabilities");

        time.Advance(TimeSpan.FromSeconds(15));
        await sampler.ProcessAsync(Spans(1), new RecordingOutput(), CancellationToken.None);

        Assert.Equal(10.0 / 300, sampler.Probabilities[key], 3);
    }

    private static TelemetryBatch Spans(int count)
    {
        var scope = new ScopeSpans();
        var random = new Random(count);
        for (var i = 0; i < count; i++)
        {
            var traceId = new byte[16];
            random.NextBytes(traceId);
            scope.Spans.Add(new Span { TraceId = ByteString.CopyFrom(traceId), SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)i)), Name = "GET /" });
        }

        var resource = new Resource();
        resource.Attributes.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "checkout" } });
        return TelemetryBatch.Create(new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { Resource = resource, ScopeSpans = { scope } } } });
    }
}
