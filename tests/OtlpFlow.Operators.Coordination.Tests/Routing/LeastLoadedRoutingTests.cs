using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Hosting.Reload;
using OtlpFlow.Operators.Coordination.Etcd;
using OtlpFlow.Operators.Coordination.Load;
using OtlpFlow.Operators.Coordination.Tests.Load;
using OtlpFlow.Operators.Coordination.Tests.Servers;
using OtlpFlow.Operators.Otlp.LoadBalancing;

namespace OtlpFlow.Operators.Coordination.Tests.Routing;

/// <summary>
/// <c>loadbalancing</c> with <c>"balance": "leastLoaded"</c> on real etcd: back-tier instances
/// register and publish their load, a front instance follows them (<c>membersOf</c>) and sends
/// each batch to the least loaded one over real OTLP gRPC.
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class LeastLoadedRoutingTests(ServersFixture servers)
{
    private const int SpansPerBatch = DistinctTraceBatches.SpansPerBatch;

    private static TelemetryBatch Batch(int index) => DistinctTraceBatches.Batch(index);

    /// <summary>The front instance's coordination services (its membership is the back tier's) and its balancer.</summary>
    private async Task<(CoordinatedServices Services, LoadBalancingOperator Balancer)> FrontAsync(string backPrefix)
    {
        var spec = PipelineLoader.Parse($$"""
            { "coordination": { "etcd": { "endpoints": ["{{servers.Etcd.Endpoint}}"], "prefix": "{{backPrefix}}-front",
                                          "membersOf": "{{backPrefix}}", "memberId": "front" } },
              "operators": { "gen": { "type": "generate", "count": 1 } } }
            """);
        var services = await CoordinatedServices.StartAsync(spec, EmptyServices.Instance, () => null);
        var balancer = new LoadBalancingOperator(
            new LoadBalancingOptions { Membership = "etcd", Balance = BalanceMode.LeastLoaded, Consumers = 1 },
            TestOperatorContext.Create("lb", "loadbalancing", services: services));
        await balancer.StartAsync(CancellationToken.None);
        return (services, balancer);
    }

    private static async Task SendAsync(LoadBalancingOperator balancer, int first, int batches)
    {
        for (var i = first; i < first + batches; i++)
        {
            await balancer.WriteAsync(Batch(i), CancellationToken.None);
        }
    }

    [EtcdFact]
    public async Task Traffic_goes_to_the_member_publishing_the_lower_load_and_follows_when_the_loads_flip()
    {
        var prefix = ServersFixture.UniquePrefix("least-loaded");
        await using var one = await BackMember.StartAsync(servers.Etcd.Endpoint, prefix, "one");
        await using var two = await BackMember.StartAsync(servers.Etcd.Endpoint, prefix, "two");
        var (services, balancer) = await FrontAsync(prefix);
        await using var front = services;
        await using var lb = balancer;
        await Poll.UntilAsync(() => balancer.ActiveMembers.Count == 2, "both back members");

        // one is overloaded (a stage of its pipeline stopped taking data), two is idle.
        one.Gate.Close();
        await one.PublishUntilAsync(r => r.QueueFill >= 0.95, "one's queue to fill");
        await two.PublishUntilAsync(r => r.Score < 0.9, "two to be idle");
        await Poll.UntilAsync(() => Score(services, one) >= 0.95 && Score(services, two) < 0.9, "the front to see both reports");

        await SendAsync(balancer, 0, 20);
        await Poll.UntilAsync(() => Sent(balancer, two) == 20 * SpansPerBatch && two.Sink.Items == 20 * SpansPerBatch, "two to receive every batch");
        Assert.Equal(0, one.Sink.Items);

        // The loads flip: two stops taking data, one recovers; the traffic follows.
        two.Gate.Close();
        one.Gate.Open();
        await two.PublishUntilAsync(r => r.QueueFill >= 0.95, "two's queue to fill");
        await one.PublishUntilAsync(r => r.Score < 0.9, "one to be idle");
        await Poll.UntilAsync(() => Score(services, two) >= 0.95 && Score(services, one) < 0.9, "the front to see the flip");

        await SendAsync(balancer, 20, 20);
        await Poll.UntilAsync(() => Sent(balancer, one) == 20 * SpansPerBatch && one.Sink.Items == 20 * SpansPerBatch, "one to receive every batch after the flip");
        Assert.Equal(20 * SpansPerBatch, two.Sink.Items);
        Assert.Equal(20 * SpansPerBatch, Sent(balancer, two));

        two.Gate.Open();
        await balancer.FlushAsync(CancellationToken.None);
    }

    [EtcdFact]
    public async Task Members_without_a_report_share_the_traffic_only_while_nobody_reports_and_equal_loads_share_it()
    {
        var prefix = ServersFixture.UniquePrefix("least-loaded-ties");
        await using var one = await BackMember.StartAsync(servers.Etcd.Endpoint, prefix, "one");
        await using var two = await BackMember.StartAsync(servers.Etcd.Endpoint, prefix, "two");
        await using var three = await BackMember.StartAsync(servers.Etcd.Endpoint, prefix, "three");
        var (services, balancer) = await FrontAsync(prefix);
        await using var front = services;
        await using var lb = balancer;
        await Poll.UntilAsync(() => balancer.ActiveMembers.Count == 3, "the three back members");

        // Nobody has published a load: every member is a candidate, and the traffic is shared.
        await SendAsync(balancer, 0, 30);
        await Poll.UntilAsync(() => one.Sink.Items + two.Sink.Items + three.Sink.Items == 30 * SpansPerBatch, "the first batches");
        Assert.All(new[] { one, two, three }, m => Assert.True(m.Sink.Items > 0, $"{m.Endpoint} got nothing"));

        // one and two publish loads within the tolerance of each other; three publishes nothing:
        // one and two share the traffic, and three, whose load is unknown, gets none of it.
        var before = three.Sink.Items;
        var (oneBefore, twoBefore) = (one.Sink.Items, two.Sink.Items);
        await one.PublishAsync(new LoadReport(Cpu: 0.30, MemoryBytes: 1, WorkingSetBytes: 1, GcPauseRatio: 0, Gen2Collections: 0, QueueFill: 0));
        await two.PublishAsync(new LoadReport(Cpu: 0.32, MemoryBytes: 1, WorkingSetBytes: 1, GcPauseRatio: 0, Gen2Collections: 0, QueueFill: 0));
        await Poll.UntilAsync(() => Score(services, one) == 0.30 && Score(services, two) == 0.32, "the front to see both reports");
        await SendAsync(balancer, 30, 30);
        await Poll.UntilAsync(() => one.Sink.Items + two.Sink.Items + three.Sink.Items == 60 * SpansPerBatch, "the second batches");
        Assert.Equal(before, three.Sink.Items);
        Assert.True(one.Sink.Items > oneBefore, "one got none of the second batches");
        Assert.True(two.Sink.Items > twoBefore, "two got none of the second batches");

        await balancer.FlushAsync(CancellationToken.None);
    }

    /// <summary>Items the balancer had acknowledged by <paramref name="member"/>.</summary>
    private static long Sent(LoadBalancingOperator balancer, BackMember member) => balancer.SentItems.GetValueOrDefault(member.Endpoint);

    private static double Score(CoordinatedServices services, BackMember member) =>
        services.ClusterLoad!.TryGetScore(member.Endpoint, out var score) ? score : double.NaN;

    /// <summary>
    /// One back-tier instance: registered in etcd, advertising its OTLP endpoint; its pipeline
    /// receives OTLP into a counting sink and, on the side, runs generated work into a gated sink
    /// whose queue is the load its monitor measures.
    /// </summary>
    private sealed class BackMember : IAsyncDisposable
    {
        private readonly EtcdCoordinator _coordinator;
        private readonly RunningPipeline _pipeline;
        private readonly LoadMonitor _monitor;

        private BackMember(EtcdCoordinator coordinator, RunningPipeline pipeline, string endpoint)
        {
            _coordinator = coordinator;
            _pipeline = pipeline;
            Endpoint = endpoint;
            _monitor = new LoadMonitor(() => pipeline, coordinator, TimeSpan.FromHours(1));
        }

        public string Endpoint { get; }

        public CountingSink Sink => (CountingSink)_pipeline.Operators["sink"];

        public GatedSink Gate => (GatedSink)_pipeline.Operators["gate"];

        public static async Task<BackMember> StartAsync(string etcd, string prefix, string id)
        {
            var port = ServerProcess.FreePort();
            var endpoint = $"http://127.0.0.1:{port}";
            var pipeline = new PipelineBuilder(TestRegistry.Create().AddAssembly(typeof(LoadBalancingOperator).Assembly).AddOperator<GatedSink>("test.gated")).Build(PipelineLoader.Parse($$"""
                { "name": "{{id}}", "operators": {
                    "in":   { "type": "otlp.receiver", "grpc": "127.0.0.1:{{port}}" },
                    "sink": { "type": "test.sink", "inputs": ["in"] },
                    "work": { "type": "generate", "rate": 5000, "batchSize": 10 },
                    "gate": { "type": "test.gated", "inputs": ["work"], "capacity": 100 } } }
                """));
            await pipeline.StartAsync();
            var coordinator = new EtcdCoordinator(new EtcdOptions { Endpoints = [etcd], Prefix = prefix, MemberId = id, Advertise = endpoint, LeaseTtl = TimeSpan.FromSeconds(30) });
            await coordinator.StartAsync();
            return new BackMember(coordinator, pipeline, endpoint);
        }

        /// <summary>Measures and publishes until a report satisfies <paramref name="condition"/>.</summary>
        public Task PublishUntilAsync(Func<LoadReport, bool> condition, string what) =>
            Poll.UntilAsync(async () => condition(await _monitor.MeasureAsync()), what);

        /// <summary>Publishes a report as the load monitor does, under the member's lease.</summary>
        public Task PublishAsync(LoadReport report) => _coordinator.PutLeasedAsync(
            _coordinator.Prefix + "/load/" + _coordinator.MemberId,
            JsonSerializer.Serialize(report with { MeasuredAt = DateTimeOffset.UtcNow }, JsonSerializerOptions.Web));

        public async ValueTask DisposeAsync()
        {
            Gate.Open();
            await _monitor.DisposeAsync();
            await _pipeline.StopAsync(TimeSpan.FromSeconds(30));
            await _pipeline.DisposeAsync();
            await _coordinator.DisposeAsync();
        }
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
