using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Coordination.Etcd;
using OtlpFlow.Operators.Coordination.Tests.Servers;
using OtlpFlow.Operators.Otlp.LoadBalancing;
using OtlpFlow.Operators.Resilience;
using OtlpFlow.Operators.Routing;

namespace OtlpFlow.Operators.Coordination.Tests.Routing;

/// <summary>
/// <c>loadbalancing</c> following a real etcd membership (<c>"membership": "etcd"</c>, a front that
/// follows the back tier with <c>membersOf</c>), over real OTLP gRPC: a member ejected for failing
/// sends is a new member once it registers again, so the front sends to it at once instead of
/// waiting out <c>ejectFor</c> (10 minutes here, far past any wait of the test).
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class ReRegisteredMemberTests(ServersFixture servers)
{
    private const int SpansPerBatch = DistinctTraceBatches.SpansPerBatch;

    private static TelemetryBatch Batch(int index) => DistinctTraceBatches.Batch(index);

    private static async Task SendAsync(LoadBalancingOperator balancer, int first, int batches)
    {
        for (var i = first; i < first + batches; i++)
        {
            await balancer.WriteAsync(Batch(i), CancellationToken.None);
        }
    }

    private EtcdCoordinator Back(string prefix, string id, string endpoint) => new(new EtcdOptions
    {
        Endpoints = [servers.Etcd.Endpoint],
        Prefix = prefix,
        MemberId = id,
        Advertise = endpoint,
        LeaseTtl = TimeSpan.FromMinutes(2), // a crashed member's key outlives the test
    });

    /// <summary>A back member's pipeline: an OTLP gRPC receiver on <paramref name="port"/> into a counting sink.</summary>
    private static async Task<RunningPipeline> ReceiverAsync(int port)
    {
        var pipeline = new PipelineBuilder(TestRegistry.Create().AddAssembly(typeof(LoadBalancingOperator).Assembly)).Build(PipelineLoader.Parse($$"""
            { "operators": {
                "in":   { "type": "otlp.receiver", "grpc": "127.0.0.1:{{port}}" },
                "sink": { "type": "test.sink", "inputs": ["in"] } } }
            """));
        await pipeline.StartAsync();
        return pipeline;
    }

    private static long Items(RunningPipeline pipeline) => ((CountingSink)pipeline.Operators["sink"]).Items;

    /// <summary>
    /// A back tier of two members, h (listening) and e (registered at an endpoint where nothing
    /// listens yet), and a front whose balancer followed it and ejected e for failing its sends.
    /// </summary>
    private sealed class Scene : IAsyncDisposable
    {
        private readonly List<IAsyncDisposable> _owned = [];

        public required string Prefix { get; init; }

        public required string H { get; init; }

        public required string E { get; init; }

        public required int EPort { get; init; }

        public required RunningPipeline HPipeline { get; init; }

        public required EtcdCoordinator FirstE { get; init; }

        public required LoadBalancingOperator Balancer { get; init; }

        public RunningPipeline? EPipeline { get; set; }

        public T Own<T>(T disposable) where T : IAsyncDisposable
        {
            _owned.Add(disposable);
            return disposable;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var owned in Enumerable.Reverse(_owned))
            {
                await owned.DisposeAsync();
            }
        }
    }

    private async Task<Scene> EjectedAsync(string name)
    {
        var prefix = ServersFixture.UniquePrefix(name);
        var hPort = ServerProcess.FreePort();
        var ePort = ServerProcess.FreePort();
        var h = $"http://127.0.0.1:{hPort}";
        var e = $"http://127.0.0.1:{ePort}";
        var owned = new List<IAsyncDisposable>();
        try
        {
            var hPipeline = await ReceiverAsync(hPort);
            owned.Add(hPipeline);
            var hCoordinator = Back(prefix, "h", h);
            owned.Add(hCoordinator);
            var firstE = Back(prefix, "e", e);
            owned.Add(firstE);
            await Task.WhenAll(hCoordinator.StartAsync(), firstE.StartAsync());

            var front = new EtcdCoordinator(new EtcdOptions { Endpoints = [servers.Etcd.Endpoint], Prefix = prefix + "-front", MembersOf = prefix, MemberId = "front" });
            owned.Add(front);
            await front.StartAsync();
            var services = new ServiceCollection().AddEtcdCoordination(front).BuildServiceProvider();
            owned.Add(services);
            var balancer = new LoadBalancingOperator(
                new LoadBalancingOptions
                {
                    Membership = "etcd",
                    Retry = new RetryOptions { Initial = TimeSpan.FromMilliseconds(50), Max = TimeSpan.FromMilliseconds(200) },
                    Ejection = new OutlierEjectionOptions { ConsecutiveFailures = 2, EjectFor = TimeSpan.FromMinutes(10) },
                },
                TestOperatorContext.Create("lb", "loadbalancing", services: services));
            owned.Add(balancer);
            await balancer.StartAsync(CancellationToken.None);
            await Poll.UntilAsync(() => balancer.ActiveMembers.Count == 2, "the front to follow h and e");

            // e's share fails (nothing listens there): e is ejected and its share goes to h.
            await SendAsync(balancer, 0, 20);
            await Poll.UntilAsync(() => balancer.ActiveMembers.SequenceEqual([h]), "e to be ejected");
            await Poll.UntilAsync(() => Items(hPipeline) == 20 * SpansPerBatch, "h to receive every span, e's share rerouted");
            Assert.Equal(0, balancer.SentItems.GetValueOrDefault(e));
            Assert.Equal(new[] { e, h }.Order(StringComparer.Ordinal), front.Membership.Current);

            var scene = new Scene { Prefix = prefix, H = h, E = e, EPort = ePort, HPipeline = hPipeline, FirstE = firstE, Balancer = balancer };
            foreach (var disposable in owned)
            {
                scene.Own(disposable);
            }

            return scene;
        }
        catch
        {
            foreach (var disposable in Enumerable.Reverse(owned))
            {
                await disposable.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>e now listens and registered again: the balancer sends to it, and every span arrives once.</summary>
    private static async Task AssertSendsToEAsync(Scene scene)
    {
        var balancer = scene.Balancer;
        await Poll.UntilAsync(() => balancer.ActiveMembers.Contains(scene.E), "e to be a member again, long before its ejection ends");

        await SendAsync(balancer, 20, 20);

        await Poll.UntilAsync(
            () => Items(scene.HPipeline) + Items(scene.EPipeline!) == 40 * SpansPerBatch && balancer.SentItems.Values.Sum() == 40 * SpansPerBatch,
            "every span to arrive and be acknowledged");
        Assert.True(Items(scene.EPipeline!) > 0, "e received nothing");
        Assert.Equal(Items(scene.EPipeline!), balancer.SentItems.GetValueOrDefault(scene.E));
        await balancer.FlushAsync(CancellationToken.None);
    }

    [EtcdFact]
    public async Task A_member_ejected_for_failing_sends_that_restarts_under_a_new_lease_at_the_same_endpoint_gets_data_at_once()
    {
        await using var scene = await EjectedAsync("reregistered-lease");

        // e is killed and restarts at once, now listening: its old key (the crashed run's) is still
        // there, so the list of members never changes; only the lease behind e's key does.
        scene.EPipeline = scene.Own(await ReceiverAsync(scene.EPort));
        await scene.FirstE.AbandonAsync();
        var secondE = scene.Own(Back(scene.Prefix, "e", scene.E));
        await secondE.StartAsync();

        await AssertSendsToEAsync(scene);
    }

    [EtcdFact]
    public async Task A_member_ejected_for_failing_sends_that_leaves_and_joins_again_gets_data_at_once()
    {
        await using var scene = await EjectedAsync("reregistered-rejoin");

        // e leaves (its lease revoked: gone from the members), then comes back listening.
        await scene.FirstE.DisposeAsync();
        await Poll.UntilAsync(() => !scene.Balancer.Membership.Current.Contains(scene.E), "the front to see e leave");
        scene.EPipeline = scene.Own(await ReceiverAsync(scene.EPort));
        var secondE = scene.Own(Back(scene.Prefix, "e", scene.E));
        await secondE.StartAsync();

        await AssertSendsToEAsync(scene);
    }
}
