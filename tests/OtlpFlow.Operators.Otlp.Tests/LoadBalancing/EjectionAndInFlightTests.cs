using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Otlp.LoadBalancing;
using OtlpFlow.Operators.Otlp.Tests.Support;
using OtlpFlow.Operators.Resilience;
using OtlpFlow.Operators.Routing;

namespace OtlpFlow.Operators.Otlp.Tests.LoadBalancing;

/// <summary>
/// <c>loadbalancing</c> with many sends at once to one member (its default <c>consumers</c>): a dead
/// member's failing sends eject it once, and a member that answers late gets many requests at once.
/// </summary>
public sealed class EjectionAndInFlightTests
{
    private static readonly Meter Meter = new("OtlpFlow.Tests.EjectionAndInFlight");

    private static TelemetryBatch Batch(int index, int spans, DateTimeOffset receivedAt) =>
        TelemetryBatch.Create((ExportTraceServiceRequest)Batch(index, spans).Payload, BatchContext.At(receivedAt));

    private static TelemetryBatch Batch(int index, int spans)
    {
        var scope = new ScopeSpans();
        for (var i = 0; i < spans; i++)
        {
            var traceId = new byte[16];
            BitConverter.TryWriteBytes(traceId, (index * spans) + i);
            scope.Spans.Add(new Span { TraceId = ByteString.CopyFrom(traceId), SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)i + 1)), Name = "op" });
        }

        return TelemetryBatch.Create(new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { scope } } } });
    }

    private static string Endpoint(TestPipeline member) => member.Grpc().ToString().TrimEnd('/');

    [Fact]
    public void A_member_takes_64_sends_at_once_by_default()
    {
        Assert.Equal(64, new LoadBalancingOptions().Consumers);
    }

    [Fact]
    public async Task Many_sends_failing_at_once_eject_a_dead_member_once_and_warn_once()
    {
        var probe = Probe.Create();
        await using var up = await TestPipeline.StartAsync($$"""
            { "operators": {
                "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:0" },
                "out": { "type": "test.probe", "inputs": ["in"], "name": "{{probe.Name}}" } } }
            """);
        var down = $"http://127.0.0.1:{Ports.Free()}";
        var logs = new CollectingLogger();
        var context = new OperatorContext("lb", "loadbalancing", logs, Meter, TimeProvider.System, TestOperatorContext.Create().Services, new MemoryBudget(0), CancellationToken.None);
        await using var lb = new LoadBalancingOperator(new LoadBalancingOptions
        {
            Endpoints = [Endpoint(up), down],
            Retry = new RetryOptions { Initial = TimeSpan.FromMilliseconds(50), Max = TimeSpan.FromMilliseconds(200) },
            Ejection = new OutlierEjectionOptions { ConsecutiveFailures = 5, EjectFor = TimeSpan.FromMinutes(10) },
            Consumers = 64,
        }, context);
        await lb.StartAsync(CancellationToken.None);

        // Half of every batch belongs to the dead member; its 64 consumers send those parts at once,
        // and they all fail, far more than the 5 failures that eject it.
        const int Batches = 200;
        const int Spans = 50;
        for (var i = 0; i < Batches; i++)
        {
            await lb.WriteAsync(Batch(i, Spans), CancellationToken.None);
        }

        await Poll.UntilAsync(() => probe.Items == Batches * Spans, "every span to reach the live member");
        await lb.FlushAsync(CancellationToken.None);

        Assert.Equal([Endpoint(up)], lb.ActiveMembers);
        Assert.True(lb.ReroutedBatches > 0, "the dead member's parts were not rerouted");
        var ejected = logs.Messages.Where(m => m.Level == LogLevel.Warning && m.Text.Contains(down, StringComparison.Ordinal) && m.Text.Contains("is ejected", StringComparison.Ordinal)).ToList();
        Assert.Single(ejected);
        Assert.Contains("failed 5 sends in a row and is ejected for 600 s", ejected[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_default_consumers_a_member_that_answers_late_gets_many_requests_at_once()
    {
        var (probe, member) = await HeldMemberAsync();
        await using var _ = member;
        await using var lb = await StartedAsync(new LoadBalancingOptions { Endpoints = [Endpoint(member)], Timeout = TimeSpan.FromMinutes(5), MaxRequestSize = default });

        await WriteAsync(lb);

        // (maxRequestSize 0: each part is its own request.) 64 requests reached the member while none was answered: all were in flight at once.
        await Poll.UntilAsync(() => member.Pipeline.Counters["in"].BatchesOut >= 64, "64 requests in flight to the member");
        Assert.Empty(lb.SentItems);

        probe.Resume();
        await lb.FlushAsync(CancellationToken.None);
        Assert.Equal(Batches * Spans, probe.Items);
        Assert.Equal(Batches * Spans, lb.SentItems[Endpoint(member)]);
    }

    [Fact]
    public async Task Parts_queued_for_a_member_that_answers_late_go_out_joined_in_a_few_requests()
    {
        var (probe, member) = await HeldMemberAsync();
        await using var _ = member;

        // One request in flight at a time: while the member holds the first, the rest queue.
        await using var lb = await StartedAsync(new LoadBalancingOptions { Endpoints = [Endpoint(member)], Timeout = TimeSpan.FromMinutes(5), Consumers = 1 });

        await WriteAsync(lb);

        probe.Resume();
        await lb.FlushAsync(CancellationToken.None);

        // Every span arrived once, in far fewer requests than batches (each well under maxRequestSize).
        Assert.Equal(Batches * Spans, probe.Items);
        Assert.Equal(Batches * Spans, lb.SentItems[Endpoint(member)]);
        Assert.InRange(member.Pipeline.Counters["in"].BatchesOut, 1, Batches / 10);
    }

    [Fact]
    public async Task Parts_the_tier_received_seconds_apart_go_out_in_separate_requests_each_with_its_own_age()
    {
        // Parts sent on from a member that failed are seconds old; parts that just came in are not.
        // One request carries one age (the member's tail sampler counts its decision wait from it)
        // and is answered when all of its traces are decided: old and new must not share one.
        var (probe, member) = await HeldMemberAsync();
        await using var _ = member;
        await using var lb = await StartedAsync(new LoadBalancingOptions { Endpoints = [Endpoint(member)], Timeout = TimeSpan.FromMinutes(5), Consumers = 1 });

        var now = DateTimeOffset.UtcNow;
        var old = now - TimeSpan.FromSeconds(30);

        // The first request is held by the member; the rest queue behind it: ten old parts, then ten new.
        await lb.WriteAsync(Batch(0, Spans, now), CancellationToken.None);
        await Poll.UntilAsync(() => member.Pipeline.Counters["in"].BatchesOut >= 1, "the first request at the member");
        for (var i = 1; i <= 10; i++)
        {
            await lb.WriteAsync(Batch(i, Spans, old), CancellationToken.None);
        }

        for (var i = 11; i <= 20; i++)
        {
            await lb.WriteAsync(Batch(i, Spans, now), CancellationToken.None);
        }

        probe.Resume();
        await lb.FlushAsync(CancellationToken.None);
        Assert.Equal(21 * Spans, probe.Items);

        // Each request the member got holds old parts only or new parts only, with that age.
        var requests = probe.Batches.Select(b => (
            Indices: ((ExportTraceServiceRequest)b.Payload).ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans)
                .Select(span => BitConverter.ToInt32(span.TraceId.Span) / Spans).Distinct().ToArray(),
            Age: b.Context.Get<Sampling.ArrivedEarlier>()?.Age ?? TimeSpan.Zero)).ToList();
        Assert.Contains(requests, r => r.Indices.Contains(1));
        foreach (var (indices, age) in requests)
        {
            var olds = indices.Count(i => i is >= 1 and <= 10);
            Assert.True(olds == 0 || olds == indices.Length, $"one request holds old parts and new: {string.Join(", ", indices)}");
            if (olds > 0)
            {
                Assert.True(age >= TimeSpan.FromSeconds(30), $"old parts went out with an age of {age}");
            }
            else
            {
                Assert.True(age < TimeSpan.FromSeconds(30), $"new parts went out with an age of {age}");
            }
        }
    }

    private const int Batches = 100;
    private const int Spans = 10;

    /// <summary>
    /// A member that answers a request only once its sink took the data ("ack": "delivered"), with
    /// its sink holding the first batch: no request is answered until the test resumes the probe.
    /// </summary>
    private static async Task<(Probe Probe, TestPipeline Member)> HeldMemberAsync()
    {
        var probe = Probe.Create();
        probe.Pause();
        var member = await TestPipeline.StartAsync($$"""
            { "defaults": { "capacity": 1000 },
              "operators": {
                "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:0", "ack": "delivered", "ackTimeout": "5m" },
                "out": { "type": "test.probe", "inputs": ["in"], "name": "{{probe.Name}}" } } }
            """);
        return (probe, member);
    }

    private static async Task<LoadBalancingOperator> StartedAsync(LoadBalancingOptions options)
    {
        var lb = new LoadBalancingOperator(options, TestOperatorContext.Create("lb", "loadbalancing"));
        await lb.StartAsync(CancellationToken.None);
        return lb;
    }

    private static async Task WriteAsync(LoadBalancingOperator lb)
    {
        for (var i = 0; i < Batches; i++)
        {
            await lb.WriteAsync(Batch(i, Spans), CancellationToken.None);
        }
    }

    private sealed class CollectingLogger : ILogger
    {
        private readonly ConcurrentQueue<(LogLevel Level, string Text)> _messages = new();

        public IReadOnlyList<(LogLevel Level, string Text)> Messages => [.. _messages];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _messages.Enqueue((logLevel, formatter(state, exception)));
    }
}
