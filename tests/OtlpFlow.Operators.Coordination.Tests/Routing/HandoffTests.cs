using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Coordination.Etcd;
using OtlpFlow.Operators.Coordination.Tests.Servers;
using OtlpFlow.Operators.Otlp.LoadBalancing;

namespace OtlpFlow.Operators.Coordination.Tests.Routing;

/// <summary>
/// <c>loadbalancing.handoff</c> on real etcd and real OTLP/gRPC: back members (receiver, handoff,
/// a sink recording spans) behind a front <c>loadbalancing</c> that follows their membership. Each
/// trace's first spans go out before a membership change and its last spans after it; every trace
/// must end up whole on one member. The members' clock is fake, so the handoff window ends only when
/// a test moves it.
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class HandoffTests(ServersFixture servers)
{
    private const int Traces = 300;

    [EtcdFact]
    public async Task A_joining_member_hands_the_moved_traces_to_their_holders_then_keeps_new_ones()
    {
        var prefix = ServersFixture.UniquePrefix("handoff-join");
        await using var a = await Member.StartAsync(servers.Etcd.Endpoint, prefix, "a");
        await using var b = await Member.StartAsync(servers.Etcd.Endpoint, prefix, "b");
        await using var c = await Member.StartAsync(servers.Etcd.Endpoint, prefix, "c", announce: false);
        await using var front = await Front.StartAsync(servers.Etcd.Endpoint, prefix);
        await front.WaitForMembersAsync(2);
        await Task.WhenAll(a.WaitForMembersAsync(2), b.WaitForMembersAsync(2));
        Settle(a, b);

        await front.SendAsync(Spans(0, Traces, span: 1));

        // Settled, each member owns what it gets: the batches went on as they came, still encoded.
        Assert.All([a, b], m => Assert.Equal(m.Recorder.Batches, m.Recorder.StillEncoded));
        Assert.True(a.Recorder.Batches > 0 && b.Recorder.Batches > 0, "a member got nothing");
        await c.AnnounceAsync();
        await front.WaitForMembersAsync(3);
        await Task.WhenAll(a.WaitForMembersAsync(3), b.WaitForMembersAsync(3), c.WaitForMembersAsync(3));
        await front.SendAsync(Spans(0, Traces, span: 2));

        Member[] members = [a, b, c];
        AssertWhole(members, Traces * 2);
        Assert.Empty(c.Spans); // every old trace it was sent went back to its holder
        Assert.True(c.Handoff.HandedOffItems > 0, "the new member handed nothing over");
        AssertConserved(members);

        // Once the window has passed, traces the new member owns stay with it.
        c.Clock.Advance(TimeSpan.FromMinutes(1));
        await front.SendAsync(Spans(Traces, Traces, span: 1));
        await front.SendAsync(Spans(Traces, Traces, span: 2));
        AssertWhole(members, Traces * 4);
        Assert.InRange(c.Spans.Count, 2, Traces * 2); // about a third of the new traces, both spans of each
        Assert.All(c.Spans, s => Assert.True(s.Trace >= Traces, $"c holds span {s.Span} of old trace {s.Trace}"));
    }

    [EtcdFact]
    public async Task Traces_of_a_member_that_leaves_gracefully_are_handed_to_it_while_it_drains()
    {
        var prefix = ServersFixture.UniquePrefix("handoff-leave");
        await using var a = await Member.StartAsync(servers.Etcd.Endpoint, prefix, "a");
        await using var b = await Member.StartAsync(servers.Etcd.Endpoint, prefix, "b");
        await using var c = await Member.StartAsync(servers.Etcd.Endpoint, prefix, "c");
        await using var front = await Front.StartAsync(servers.Etcd.Endpoint, prefix);
        await front.WaitForMembersAsync(3);
        await Task.WhenAll(a.WaitForMembersAsync(3), b.WaitForMembersAsync(3), c.WaitForMembersAsync(3));
        Settle(a, b, c);

        await front.SendAsync(Spans(0, Traces, span: 1));
        var held = c.Spans.Select(s => s.Trace).ToHashSet();
        Assert.NotEmpty(held);
        await c.LeaveAsync();
        await front.WaitForMembersAsync(2);
        await Poll.UntilAsync(() => a.Coordinator.Membership.Leaving.Count == 1 && b.Coordinator.Membership.Leaving.Count == 1, "a and b to see c draining");
        await front.SendAsync(Spans(0, Traces, span: 2));

        Member[] members = [a, b, c];
        AssertWhole(members, Traces * 2);
        Assert.Equal(held.Count * 2, c.Spans.Count); // its traces' last spans came to it, nothing else
        Assert.True(a.Handoff.HandedOffItems + b.Handoff.HandedOffItems == held.Count, "a and b should have handed over exactly c's traces' last spans");
        AssertConserved(members);
    }

    [EtcdFact]
    public async Task Spans_for_a_member_that_cannot_be_reached_stay_here_and_nothing_is_lost()
    {
        var prefix = ServersFixture.UniquePrefix("handoff-dead");
        await using var a = await Member.StartAsync(servers.Etcd.Endpoint, prefix, "a");

        // b is registered (its lease lives on) but nothing listens at its endpoint: a crashed member.
        await using var b = new EtcdCoordinator(new EtcdOptions
        {
            Endpoints = [servers.Etcd.Endpoint], Prefix = prefix, MemberId = "b",
            Advertise = $"http://127.0.0.1:{ServerProcess.FreePort()}", LeaseTtl = TimeSpan.FromMinutes(1),
        });
        await b.StartAsync();
        await a.WaitForMembersAsync(2);

        // Sent straight to a, as a front that ejected b would: the spans b owns cannot go there.
        Settle(a);
        var response = await a.SendDirectAsync(Spans(0, Traces, span: 1));

        Assert.True(response.PartialSuccess is null || response.PartialSuccess.RejectedSpans == 0, response.PartialSuccess?.ErrorMessage);
        Assert.Equal(Traces, a.Spans.Count);
        Assert.True(a.Handoff.KeptAfterFailure > 0, "no span was owned by b");
        Assert.Equal(a.Handoff.KeptAfterFailure, a.Handoff.HandedOffItems);
        AssertConserved([a]);
    }

    [EtcdFact]
    public async Task Without_a_membership_that_names_this_member_the_start_fails_with_the_reason()
    {
        var pipeline = new PipelineBuilder(TestRegistry.Create().AddAssembly(typeof(HandoffOperator).Assembly)).Build(PipelineLoader.Parse("""
            { "operators": {
                "in":      { "type": "generate", "count": 1 },
                "handoff": { "type": "loadbalancing.handoff", "inputs": ["in"] },
                "sink":    { "type": "test.sink", "inputs": ["handoff"] } } }
            """));
        await using (pipeline)
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(() => pipeline.StartAsync());
            Assert.Contains("etcd", error.ToString(), StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Moves the members' clocks past the window: the cluster has been as it is for a while (the
    /// joins while the test set it up are history, and traces go by the current members alone).
    /// </summary>
    private static void Settle(params Member[] members)
    {
        foreach (var member in members)
        {
            member.Clock.Advance(TimeSpan.FromMinutes(1));
        }
    }

    /// <summary>Each trace's spans are on one member, and every span sent is somewhere exactly once.</summary>
    private static void AssertWhole(IEnumerable<Member> members, int spans)
    {
        var holders = new Dictionary<int, string>();
        var seen = new HashSet<(int, int)>();
        foreach (var member in members)
        {
            foreach (var (trace, span) in member.Spans)
            {
                Assert.True(seen.Add((trace, span)), $"span {span} of trace {trace} arrived twice");
                if (holders.TryGetValue(trace, out var holder))
                {
                    Assert.True(holder == member.Id, $"trace {trace} is split between {holder} and {member.Id}");
                }

                holders[trace] = member.Id;
            }
        }

        Assert.Equal(spans, seen.Count);
    }

    private static void AssertConserved(IEnumerable<Member> members)
    {
        foreach (var member in members)
        {
            var counters = member.Pipeline.Counters["handoff"];
            Assert.True(counters.Balanced, $"{member.Id}: {counters}");
        }
    }

    /// <summary>One span (index <paramref name="span"/>) of each of <paramref name="count"/> traces from <paramref name="first"/>.</summary>
    private static ExportTraceServiceRequest Spans(int first, int count, int span)
    {
        var scope = new ScopeSpans();
        for (var t = first; t < first + count; t++)
        {
            scope.Spans.Add(new Span { TraceId = TraceId(t), SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)span)), Name = $"span-{span}" });
        }

        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { scope } } } };
    }

    private static ByteString TraceId(int trace)
    {
        var id = new byte[16];
        BitConverter.TryWriteBytes(id, trace);
        id[15] = 0x7f; // not all zero
        return ByteString.CopyFrom(id);
    }

    /// <summary>A back member: receiver (acknowledging once delivered), handoff, span recorder; on a fake clock.</summary>
    private sealed class Member : IAsyncDisposable
    {
        private readonly Grpc.Net.Client.GrpcChannel _channel;

        private Member(string id, EtcdCoordinator coordinator, RunningPipeline pipeline, FakeTimeProvider clock, string endpoint)
        {
            Id = id;
            Coordinator = coordinator;
            Pipeline = pipeline;
            Clock = clock;
            _channel = Grpc.Net.Client.GrpcChannel.ForAddress(endpoint);
        }

        public string Id { get; }

        public EtcdCoordinator Coordinator { get; }

        public RunningPipeline Pipeline { get; }

        public FakeTimeProvider Clock { get; }

        public HandoffOperator Handoff => (HandoffOperator)Pipeline.Operators["handoff"];

        public SpanRecorder Recorder => (SpanRecorder)Pipeline.Operators["sink"];

        public IReadOnlyList<(int Trace, int Span)> Spans => Recorder.Spans;

        public static async Task<Member> StartAsync(string etcd, string prefix, string id, bool announce = true)
        {
            var port = ServerProcess.FreePort();
            var endpoint = $"http://127.0.0.1:{port}";
            var coordinator = new EtcdCoordinator(new EtcdOptions { Endpoints = [etcd], Prefix = prefix, MemberId = id, Advertise = endpoint, LeaseTtl = TimeSpan.FromSeconds(30) });
            await coordinator.StartAsync(announce: false);
            var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
            var services = new ServiceCollection().AddEtcdCoordination(coordinator).BuildServiceProvider();
            var registry = TestRegistry.Create().AddAssembly(typeof(HandoffOperator).Assembly).AddOperator<SpanRecorder>("test.spans");
            var pipeline = new PipelineBuilder(registry, services, timeProvider: clock).Build(PipelineLoader.Parse($$"""
                { "name": "{{id}}", "operators": {
                    "in":      { "type": "otlp.receiver", "grpc": "127.0.0.1:{{port}}", "ack": "delivered" },
                    "handoff": { "type": "loadbalancing.handoff", "inputs": ["in"], "window": "30s" },
                    "sink":    { "type": "test.spans", "inputs": ["handoff"] } } }
                """));
            await pipeline.StartAsync();
            var member = new Member(id, coordinator, pipeline, clock, endpoint);
            if (announce)
            {
                await member.AnnounceAsync();
            }

            return member;
        }

        public Task AnnounceAsync() => Coordinator.AnnounceAsync();

        public Task LeaveAsync() => Coordinator.LeaveAsync();

        /// <summary>Waits until this member's handoff sees <paramref name="count"/> members (itself included once announced).</summary>
        public Task WaitForMembersAsync(int count) =>
            Poll.UntilAsync(() => Coordinator.Membership.Current.Count == count, $"{Id} to see {count} members");

        /// <summary>Sends a request straight to this member's receiver and returns its answer (an error status throws).</summary>
        public async Task<ExportTraceServiceResponse> SendDirectAsync(ExportTraceServiceRequest request) =>
            await new TraceService.TraceServiceClient(_channel).ExportAsync(request);

        public async ValueTask DisposeAsync()
        {
            _channel.Dispose();
            await Pipeline.StopAsync(TimeSpan.FromSeconds(30));
            await Pipeline.DisposeAsync();
            await Coordinator.DisposeAsync();
        }
    }

    /// <summary>A front: a <c>loadbalancing</c> by trace id following the members in etcd, as a front instance runs it.</summary>
    private sealed class Front : IAsyncDisposable
    {
        private readonly EtcdCoordinator _coordinator;

        private Front(EtcdCoordinator coordinator, LoadBalancingOperator balancer)
        {
            _coordinator = coordinator;
            Balancer = balancer;
        }

        public LoadBalancingOperator Balancer { get; }

        public static async Task<Front> StartAsync(string etcd, string prefix)
        {
            var coordinator = new EtcdCoordinator(new EtcdOptions { Endpoints = [etcd], Prefix = prefix + "-front", MembersOf = prefix, MemberId = "front" });
            await coordinator.StartAsync();
            var services = new ServiceCollection().AddEtcdCoordination(coordinator).BuildServiceProvider();
            var balancer = new LoadBalancingOperator(new LoadBalancingOptions { Membership = "etcd", Compression = Otlp.Exporter.OtlpCompression.None },
                TestOperatorContext.Create("lb", "loadbalancing", services: services));
            await balancer.StartAsync(CancellationToken.None);
            return new Front(coordinator, balancer);
        }

        public Task WaitForMembersAsync(int count) =>
            Poll.UntilAsync(() => Balancer.ActiveMembers.Count == count, $"the front to send to {count} members");

        /// <summary>Sends one request and waits until every member that got a part acknowledged it (delivered).</summary>
        public async Task SendAsync(ExportTraceServiceRequest request)
        {
            var (share, tracker) = Acknowledgement.Create();
            var batch = TelemetryBatch.Create(request, ack: share);
            await Balancer.WriteAsync(batch, CancellationToken.None);
            batch.Ack.Deliver(); // the engine's part once a sink's write returns: each member's part holds its own share

            var result = await tracker.Completion.WaitAsync(TimeSpan.FromMinutes(1));
            Assert.True(result.Succeeded && result.RefusedItems == 0, $"the request was not delivered: {result.Error?.Message}");
        }

        public async ValueTask DisposeAsync()
        {
            await Balancer.DisposeAsync();
            await _coordinator.DisposeAsync();
        }
    }

    /// <summary>Records each span's trace and span number when written (the batch's bytes go back to their pool after).</summary>
    public sealed class SpanRecorder(OperatorContext context) : SinkOperator(context)
    {
        private readonly ConcurrentQueue<(int Trace, int Span)> _spans = new();
        private int _batches;
        private int _stillEncoded;

        public IReadOnlyList<(int Trace, int Span)> Spans => _spans.ToArray();

        /// <summary>Batches written.</summary>
        public int Batches => Volatile.Read(ref _batches);

        /// <summary>Batches that arrived as the receiver made them (encoded, never decoded on the way).</summary>
        public int StillEncoded => Volatile.Read(ref _stillEncoded);

        public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _batches);
            if (batch.TryGetEncoded(out _))
            {
                Interlocked.Increment(ref _stillEncoded);
            }

            foreach (var span in batch.Traces!.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans))
            {
                _spans.Enqueue((BitConverter.ToInt32(span.TraceId.Span), (int)BitConverter.ToInt64(span.SpanId.Span)));
            }

            return ValueTask.CompletedTask;
        }
    }
}
