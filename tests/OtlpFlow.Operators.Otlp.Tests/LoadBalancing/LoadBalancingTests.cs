using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Otlp.LoadBalancing;
using OtlpFlow.Operators.Otlp.Tests.Support;
using OtlpFlow.Operators.Routing;

namespace OtlpFlow.Operators.Otlp.Tests.LoadBalancing;

/// <summary><c>loadbalancing</c> over real <c>otlp.receiver</c>s on loopback.</summary>
public sealed class LoadBalancingTests
{
    private static Task<TestPipeline> StartMemberAsync(Probe probe, int capacity = 16) => TestPipeline.StartAsync($$"""
        { "defaults": { "capacity": {{capacity}} },
          "operators": {
            "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:0" },
            "out": { "type": "test.probe", "inputs": ["in"], "name": "{{probe.Name}}" } } }
        """);

    private static string Endpoint(TestPipeline member) => member.Grpc().ToString().TrimEnd('/');

    private static Task<TestPipeline> StartSenderAsync(IEnumerable<string> endpoints, int count, string extra = "") => TestPipeline.StartAsync($$"""
        { "defaults": { "capacity": 4 },
          "operators": {
            "gen": { "type": "generate", "signal": "traces", "count": {{count}}, "batchSize": 100, "rate": 50000, "seed": 12 },
            "lb":  { "type": "loadbalancing", "inputs": ["gen"], "endpoints": [{{string.Join(", ", endpoints.Select(e => $"\"{e}\""))}}],
                     "retry": { "initial": "50ms", "max": "200ms" }, "queueSize": 10 {{extra}} } } }
        """);

    private static List<OpenTelemetry.Proto.Trace.V1.Span> Spans(params Probe[] probes) =>
        probes.SelectMany(p => p.Payloads<ExportTraceServiceRequest>())
            .SelectMany(r => r.ResourceSpans).SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).ToList();

    private static string Id(OpenTelemetry.Proto.Trace.V1.Span span) => Convert.ToHexString(span.TraceId.Span) + Convert.ToHexString(span.SpanId.Span);

    [Fact]
    public async Task Every_trace_goes_whole_to_one_member()
    {
        Probe[] probes = [Probe.Create(), Probe.Create(), Probe.Create()];
        var members = new List<TestPipeline>();
        foreach (var probe in probes)
        {
            members.Add(await StartMemberAsync(probe));
        }

        await using (var sender = await StartSenderAsync(members.Select(Endpoint), 6000))
        {
            await sender.Pipeline.Completion;
        }

        var owners = probes.Select((p, i) => Spans(p).Select(s => (Trace: Convert.ToHexString(s.TraceId.Span), Member: i))).SelectMany(x => x)
            .GroupBy(x => x.Trace).Select(g => g.Select(x => x.Member).Distinct().Count());
        Assert.Equal(6000, probes.Sum(p => p.Items));
        Assert.All(owners, n => Assert.Equal(1, n));
        Assert.All(probes, p => Assert.True(p.Items > 0));
        foreach (var member in members)
        {
            await member.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_member_removed_mid_run_hands_its_queue_to_the_new_owners_and_nothing_is_lost()
    {
        Probe[] probes = [Probe.Create(), Probe.Create(), Probe.Create()];
        var members = new List<TestPipeline>();
        foreach (var probe in probes)
        {
            // Member 2 holds little (one batch per edge), so that once it stops answering it cannot
            // take in what is queued for it.
            members.Add(await StartMemberAsync(probe, capacity: probe == probes[2] ? 1 : 16));
        }

        // Member 2 stops answering, so its queue fills; then it leaves the membership. One consumer
        // sending one part a request: a queue of 8 cannot drain into member 2 meanwhile (with 64
        // consumers joining parts, a member still taking requests could swallow the queue between the
        // poll and the removal, leaving nothing to hand over).
        probes[2].Pause();
        var sender = await StartSenderAsync(members.Select(Endpoint), 20000, """, "consumers": 1, "maxRequestSize": "1KiB" """);
        var lb = (LoadBalancingOperator)sender.Pipeline.Operators["lb"];
        await probes[2].Holding.WaitAsync(TimeSpan.FromSeconds(30));
        await Poll.UntilAsync(() => lb.QueuedBatches.GetValueOrDefault(Endpoint(members[2])) >= 8, "batches queue up for member 2");

        Assert.True(((MembershipSet)lb.Membership).Remove(Endpoint(members[2])));
        Assert.DoesNotContain(Endpoint(members[2]), lb.ActiveMembers);
        probes[2].Resume();
        await sender.Pipeline.Completion;

        var spans = Spans(probes);
        Assert.Equal(20000, spans.Count);
        Assert.Equal(20000, spans.Select(Id).Distinct().Count());
        Assert.True(lb.ReroutedBatches > 0, "queued batches were handed over");
        Assert.True(sender.Pipeline.Counters["lb"].Balanced);
        await sender.DisposeAsync();
        foreach (var member in members)
        {
            await member.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_member_that_dies_mid_run_is_ejected_and_every_span_still_arrives()
    {
        Probe[] probes = [Probe.Create(), Probe.Create(), Probe.Create()];
        var members = new List<TestPipeline>();
        foreach (var probe in probes)
        {
            members.Add(await StartMemberAsync(probe));
        }

        var sender = await StartSenderAsync(members.Select(Endpoint), 20000, ", \"ejection\": { \"consecutiveFailures\": 2, \"ejectFor\": \"1h\" }");
        var lb = (LoadBalancingOperator)sender.Pipeline.Operators["lb"];
        await Poll.UntilAsync(() => probes[2].Items > 1000, "member 2 receives data");

        await members[2].DisposeAsync();
        await sender.Pipeline.Completion;

        var spans = Spans(probes);
        Assert.Equal(20000, spans.Select(Id).Distinct().Count());
        Assert.DoesNotContain(Endpoint(members[2]), lb.ActiveMembers);
        await sender.DisposeAsync();
        await members[0].DisposeAsync();
        await members[1].DisposeAsync();
    }

    [Fact]
    public async Task Grpc_health_checks_take_an_endpoint_that_does_not_answer_out_of_the_members()
    {
        var probe = Probe.Create();
        await using var up = await StartMemberAsync(probe);
        var down = $"http://127.0.0.1:{Ports.Free()}";
        var time = new FakeTimeProvider();
        await using var lb = new LoadBalancingOperator(new LoadBalancingOptions
        {
            Endpoints = [Endpoint(up), down],
            HealthCheck = new HealthCheckOptions { Type = HealthCheckType.Grpc, UnhealthyThreshold = 1, Interval = TimeSpan.FromSeconds(5) },
        }, TestOperatorContext.Create("lb", "loadbalancing", time));
        await lb.StartAsync(default);
        Assert.Equal(2, lb.ActiveMembers.Count);

        time.Advance(TimeSpan.FromSeconds(5));
        await Poll.UntilAsync(() => lb.ActiveMembers.Count == 1, "the endpoint that does not answer is taken out");

        Assert.Equal([Endpoint(up)], lb.ActiveMembers);
    }

    [Fact]
    public async Task Http_health_checks_keep_an_endpoint_that_answers()
    {
        await using var up = await TestPipeline.StartAsync("""
            { "operators": {
                "in":  { "type": "otlp.receiver", "http": "127.0.0.1:0" },
                "out": { "type": "test.refuse", "inputs": ["in"] } } }
            """);
        var down = $"http://127.0.0.1:{Ports.Free()}";
        var time = new FakeTimeProvider();
        var endpoint = up.Http().ToString().TrimEnd('/');
        await using var lb = new LoadBalancingOperator(new LoadBalancingOptions
        {
            Endpoints = [endpoint, down],
            Protocol = OtlpFlow.Operators.Otlp.Exporter.OtlpProtocol.HttpProtobuf,
            HealthCheck = new HealthCheckOptions { Type = HealthCheckType.Http, Path = "/v1/traces", UnhealthyThreshold = 1 },
        }, TestOperatorContext.Create("lb", "loadbalancing", time));
        await lb.StartAsync(default);

        time.Advance(TimeSpan.FromSeconds(5));
        await Poll.UntilAsync(() => lb.ActiveMembers.Count == 1, "the endpoint that does not answer is taken out");

        Assert.Equal([endpoint], lb.ActiveMembers);
    }

}
