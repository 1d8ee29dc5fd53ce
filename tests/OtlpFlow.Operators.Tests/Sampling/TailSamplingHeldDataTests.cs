using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Sampling;
using static OtlpFlow.Operators.Tests.Sampling.SamplingTestData;

namespace OtlpFlow.Operators.Tests.Sampling;

/// <summary>How <c>sampling.tail</c> holds spans: encoded in an arena, resources and scopes interned, traces rebuilt from bytes.</summary>
public class TailSamplingHeldDataTests
{
    /// <summary>Batches go in as objects here, and as encoded bytes in <see cref="TailSamplingHeldDataEncodedTests"/>.</summary>
    protected virtual bool Encoded => false;

    private static Resource Resource(string service, params KeyValue[] more)
    {
        var resource = new Resource { DroppedAttributesCount = 1 };
        resource.Attributes.Add(Str("service.name", service));
        resource.Attributes.Add(more);
        return resource;
    }

    private static InstrumentationScope Scope(string name, string version)
    {
        var scope = new InstrumentationScope { Name = name, Version = version, DroppedAttributesCount = 2 };
        scope.Attributes.Add(Str("scope.kind", name));
        return scope;
    }

    /// <summary>A span with every field set.</summary>
    private static Span FullSpan(Random random, ByteString traceId, int id)
    {
        var span = Span(traceId, traceState: $"vendor=v{id}", name: $"op-{id}", id: id, parent: id == 0 ? null : 0, durationMs: random.Next(1, 900),
            status: (Status.Types.StatusCode)(id % 3), startOffsetNanos: (ulong)random.Next(0, 1_000_000),
            attributes: [Str("http.route", $"/r/{id % 7}"), Int("http.response.status_code", 200 + (id % 4)), Bool("cache.hit", id % 2 == 0)]);
        span.Flags = 0x301;
        span.Status.Message = id % 3 == 2 ? "boom" : string.Empty;
        span.DroppedAttributesCount = (uint)(id % 5);
        span.DroppedEventsCount = 1;
        span.DroppedLinksCount = 2;
        span.Attributes.Add(new KeyValue { Key = "d", Value = new AnyValue { DoubleValue = id * 0.5 } });
        span.Attributes.Add(new KeyValue { Key = "b", Value = new AnyValue { BytesValue = ByteString.CopyFrom((byte)id, 1, 2) } });
        var array = new ArrayValue();
        array.Values.Add(new AnyValue { StringValue = "x" });
        array.Values.Add(new AnyValue { IntValue = id });
        span.Attributes.Add(new KeyValue { Key = "arr", Value = new AnyValue { ArrayValue = array } });
        var ev = new Span.Types.Event { Name = "retry", TimeUnixNano = span.StartTimeUnixNano + 5, DroppedAttributesCount = 3 };
        ev.Attributes.Add(Int("attempt", id));
        span.Events.Add(ev);
        var link = new Span.Types.Link { TraceId = RandomTraceId(random), SpanId = SpanId(id + 100), TraceState = "a=b", Flags = 1 };
        link.Attributes.Add(Str("link.kind", "follows"));
        span.Links.Add(link);
        return span;
    }

    /// <summary>Each span with the resource and scope entries around it, as text: equal text means equal content.</summary>
    private static List<string> Flatten(IEnumerable<ExportTraceServiceRequest> requests) =>
        requests.SelectMany(r => r.ResourceSpans)
            .SelectMany(rs => rs.ScopeSpans.SelectMany(ss => ss.Spans.Select(span =>
                $"{rs.Resource?.ToString() ?? "null"}|{rs.SchemaUrl}|{ss.Scope?.ToString() ?? "null"}|{ss.SchemaUrl}|{span}")))
            .Order(StringComparer.Ordinal)
            .ToList();

    [Fact]
    public async Task Kept_traces_come_out_with_the_same_resources_scopes_and_spans_as_went_in()
    {
        await using var kit = NewKit("""{ "decisionWait": "1h", "policies": [ { "type": "always" } ] }""");
        var random = new Random(7);
        var resources = new (Resource? Resource, string Schema)[]
        {
            (Resource("checkout", Int("k8s.pod.count", 3)), "https://opentelemetry.io/schemas/1.26.0"),
            (Resource("cart"), string.Empty),
            (null, "https://example.com/no-resource"),
            (new Resource(), string.Empty), // present but empty: not the same as absent
        };
        var scopes = new (InstrumentationScope? Scope, string Schema)[]
        {
            (Scope("http", "1.0"), "https://opentelemetry.io/schemas/1.25.0"),
            (Scope("db", ""), string.Empty),
            (null, string.Empty),
        };
        var traces = Enumerable.Range(0, 40).Select(_ => RandomTraceId(random)).ToArray();
        var sent = new List<ExportTraceServiceRequest>();
        var spanId = 0;
        for (var b = 0; b < 30; b++)
        {
            var request = new ExportTraceServiceRequest();
            foreach (var (resource, resourceSchema) in resources.Where(_ => random.Next(3) > 0))
            {
                var rs = new ResourceSpans { Resource = resource?.Clone(), SchemaUrl = resourceSchema };
                foreach (var (scope, scopeSchema) in scopes.Where(_ => random.Next(2) > 0))
                {
                    var ss = new ScopeSpans { Scope = scope?.Clone(), SchemaUrl = scopeSchema };
                    for (var i = random.Next(1, 6); i > 0; i--)
                    {
                        ss.Spans.Add(FullSpan(random, traces[random.Next(traces.Length)], spanId++ % 50));
                    }

                    rs.ScopeSpans.Add(ss);
                }

                request.ResourceSpans.Add(rs);
            }

            sent.Add(request.Clone());
            await kit.ProcessAsync(TelemetryBatch.Create(request));
        }

        Assert.Equal(0, kit.Output.ItemsOut); // all held
        await kit.DrainAsync();

        var kept = kit.Output.On("out");
        Assert.Equal(Flatten(sent), Flatten(kept.Select(b => b.Traces!)));
        Assert.All(kept, batch =>
        {
            // One entry per distinct resource, and per distinct scope under it, in every output request.
            var request = batch.Traces!;
            var resourceKeys = request.ResourceSpans.Select(rs => $"{rs.Resource}|{rs.SchemaUrl}|{rs.Resource is null}").ToList();
            Assert.Equal(resourceKeys.Count, resourceKeys.Distinct().Count());
            Assert.All(request.ResourceSpans, rs =>
                Assert.Equal(rs.ScopeSpans.Count, rs.ScopeSpans.Select(ss => $"{ss.Scope}|{ss.SchemaUrl}|{ss.Scope is null}").Distinct().Count()));
            Assert.Equal(request.CalculateSize(), batch.SizeBytes);
            Assert.Equal(OtlpItems.Count(request), batch.ItemCount);
        });

        // Every trace is whole in one output batch.
        var batchOfTrace = kept.SelectMany((b, i) => Spans(b).Select(s => (Trace: Hex(s.TraceId), Batch: i))).Distinct().GroupBy(x => x.Trace);
        Assert.All(batchOfTrace, g => Assert.Single(g));
    }

    [Fact]
    public async Task Held_bytes_are_the_chunks_and_interned_entries_held_and_return_to_zero_after_a_drain()
    {
        await using var kit = NewKit("""{ "decisionWait": "1h", "maxBytes": "1MiB", "policies": [ { "type": "statusCode", "codes": ["ERROR"] } ] }""");
        var random = new Random(3);
        long encoded = 0;
        for (var round = 0; round < 2; round++)
        {
            for (var b = 0; b < 20; b++)
            {
                var spans = Enumerable.Range(0, 20).Select(i => FullSpan(random, TraceId((ulong)((round * 1000) + (b * 20) + i + 1)), i)).ToArray();
                encoded += spans.Sum(s => s.CalculateSize() + SpanArena.HeaderSize);
                await kit.ProcessAsync(TelemetryBatch.Create(Request($"svc-{b % 3}", spans)));

                Assert.Equal(encoded, kit.Sampler.LiveSpanBytes);
                Assert.True(kit.Sampler.InternedBytes > 0);
                Assert.Equal(((long)kit.Sampler.HeldChunks * kit.Sampler.ChunkSize) + kit.Sampler.InternedBytes, kit.Sampler.HeldBytes);
                // Whole chunks: the unused end of each full chunk (less than one record) and of the current one.
                Assert.InRange(kit.Sampler.HeldBytes, encoded, encoded + kit.Sampler.ChunkSize + (kit.Sampler.HeldChunks * 1024L) + kit.Sampler.InternedBytes);
            }

            Assert.Equal(400, kit.Sampler.HeldSpans);
            await kit.DrainAsync();

            Assert.Equal(0, kit.Sampler.HeldBytes);
            Assert.Equal(0, kit.Sampler.HeldSpans);
            Assert.Equal(0, kit.Sampler.HeldChunks);
            Assert.Equal(0, kit.Sampler.LiveSpanBytes);
            Assert.Equal(0, kit.Sampler.InternedBytes);
            encoded = 0;
        }

        Assert.Equal(800, kit.Output.ItemsOut + kit.Output.ItemsDropped);
        Assert.Equal(400, kit.Sampler.PeakHeldSpans);
    }

    [Fact]
    public async Task Short_lived_traces_reuse_chunks_and_long_lived_ones_cannot_grow_held_bytes_past_max_bytes()
    {
        await using var kit = NewKit("""{ "decisionWait": "1h", "afterRootWait": "1s", "maxBytes": "256KiB", "policies": [ { "type": "always" } ] }""");
        var max = 256 * 1024;
        long sent = 0;
        var chunksWithoutLongLived = 0;
        for (var round = 0; round < 400; round++)
        {
            var spans = new List<Span>();
            if (round >= 100)
            {
                // Five traces that never get a root: every chunk holds some of their spans.
                spans.AddRange(Enumerable.Range(1, 5).Select(t => Span(TraceId((ulong)t), id: round, parent: 0, attributes: Str("payload", new string('l', 150)))));
            }

            // Twenty traces with a root each, decided one second later.
            spans.AddRange(Enumerable.Range(0, 20).Select(t => Span(TraceId((ulong)(1000 + (round * 20) + t)), id: 0, attributes: Str("payload", new string('s', 150)))));
            await kit.SendAsync([.. spans]);
            sent += spans.Count;
            Assert.InRange(kit.Sampler.HeldBytes, 0, max);
            if (round < 100)
            {
                // Only short-lived traces: emptied chunks are reused, so a handful are ever held.
                chunksWithoutLongLived = Math.Max(chunksWithoutLongLived, kit.Sampler.HeldChunks);
            }

            await kit.AdvanceAsync(TimeSpan.FromSeconds(1));
            Assert.InRange(kit.Sampler.HeldBytes, 0, max);
        }

        Assert.InRange(chunksWithoutLongLived, 1, 2);
        Assert.True(kit.Sampler.TracesDecidedEarly > 0); // long-lived traces pinning old chunks were decided early
        Assert.Equal(sent, kit.Output.ItemsOut + kit.Sampler.HeldSpans);

        await kit.DrainAsync();
        Assert.Equal(sent, kit.Output.ItemsOut);
        Assert.Equal(0, kit.Sampler.HeldBytes);
    }

    [Fact]
    public async Task Spans_that_do_not_fit_a_chunk_move_whole_to_a_new_or_larger_chunk()
    {
        await using var kit = NewKit("""{ "decisionWait": "1h", "maxBytes": "1GiB", "policies": [ { "type": "always" } ] }""");
        var random = new Random(11);
        var sent = new List<ExportTraceServiceRequest>();
        for (var b = 0; b < 10; b++)
        {
            // Sizes from a few bytes to several chunks (1 MiB each), so records cross chunk ends.
            var spans = Enumerable.Range(0, 8).Select(i => Span(TraceId((ulong)((b * 8) + i + 1)), id: i,
                attributes: Str("payload", new string('p', random.Next(0, 3) switch { 0 => 10, 1 => random.Next(100_000, 400_000), _ => random.Next(1_000_000, 2_500_000) })))).ToArray();
            var request = Request("svc", spans);
            sent.Add(request.Clone());
            await kit.ProcessAsync(TelemetryBatch.Create(request));
            Assert.InRange(kit.Sampler.HeldBytes, kit.Sampler.LiveSpanBytes + kit.Sampler.InternedBytes, long.MaxValue);
        }

        await kit.DrainAsync();

        Assert.Equal(Flatten(sent), Flatten(kit.Output.On("out").Select(b => b.Traces!)));
        Assert.Equal(0, kit.Sampler.HeldBytes);
        Assert.Equal(0, kit.Sampler.HeldChunks);
    }

    [Fact]
    public async Task Traces_decided_on_time_do_not_stay_queued_when_nothing_is_decided_early()
    {
        await using var kit = NewKit("""{ "decisionWait": "1s", "onFull": "block", "policies": [ { "type": "always" } ] }""");
        for (var round = 0; round < 50; round++)
        {
            await kit.SendAsync([.. Enumerable.Range(0, 10).Select(t => Span(TraceId((ulong)((round * 10) + t + 1)), id: 1, parent: 0))]);
            await kit.AdvanceAsync(TimeSpan.FromSeconds(1));
            Assert.Equal(0, kit.Sampler.HeldTraces);
            Assert.Equal(0, kit.Sampler.ArrivalQueueLength);
        }

        Assert.Equal(500, kit.Output.ItemsOut);
    }

    [Fact]
    public async Task Attribute_policies_see_span_and_resource_attributes_from_any_batch_of_the_trace()
    {
        await using var kit = NewKit("""
        { "policies": [
            { "type": "stringAttribute", "name": "checkout", "key": "service.name", "values": ["checkout"] },
            { "type": "numericAttribute", "name": "server-errors", "key": "http.response.status_code", "minValue": 500, "maxValue": 599 },
            { "type": "booleanAttribute", "name": "debug", "key": "app.debug", "value": true },
            { "type": "numericAttribute", "name": "big-tenant", "key": "tenant.size", "minValue": 1000 } ] }
        """);
        var resourceInt = new ExportTraceServiceRequest();
        resourceInt.ResourceSpans.Add(new ResourceSpans { Resource = Resource("cart", Int("tenant.size", 5000)) });
        resourceInt.ResourceSpans[0].ScopeSpans.Add(new ScopeSpans());
        resourceInt.ResourceSpans[0].ScopeSpans[0].Spans.Add(Span(TraceId(4), id: 0));

        await kit.SendAsync(Span(TraceId(1), id: 1, parent: 0)); // service "svc"
        await kit.ProcessAsync(Batch("checkout", Span(TraceId(1), id: 0), Span(TraceId(2), id: 0)));
        await kit.SendAsync(Span(TraceId(3), id: 0), Span(TraceId(3), id: 1, parent: 0, attributes: Int("http.response.status_code", 503)));
        await kit.ProcessAsync(TelemetryBatch.Create(resourceInt));
        await kit.SendAsync(Span(TraceId(5), id: 0, attributes: [Int("http.response.status_code", 200), Bool("app.debug", false), Str("service.name", "cart")]));
        await kit.SendAsync(Span(TraceId(6), id: 0, attributes: Bool("app.debug", true)));
        await kit.DrainAsync();

        Assert.Equal([Hex(TraceId(1)), Hex(TraceId(2)), Hex(TraceId(3)), Hex(TraceId(4)), Hex(TraceId(6))], kit.TraceIds("out").Order());
        Assert.Equal([Hex(TraceId(5))], kit.TraceIds("dropped"));
        Assert.Equal(3, kit.Sampler.Counters.KeptByReason["checkout"]); // both spans of trace 1, the second from another batch and resource
        Assert.Equal(2, kit.Sampler.Counters.KeptByReason["server-errors"]);
        Assert.Equal(1, kit.Sampler.Counters.KeptByReason["big-tenant"]);
        Assert.Equal(1, kit.Sampler.Counters.KeptByReason["debug"]);
    }

    [Fact]
    public async Task Without_a_dropped_link_drops_are_counted_exactly_and_refused_without_building_batches()
    {
        var output = new UnlinkedDroppedOutput();
        var options = TailSamplingTestKit.Bind("""{ "decisionWait": "10s", "policies": [ { "type": "statusCode", "codes": ["ERROR"] } ] }""");
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var sampler = new TailSamplingOperator(options, TestOperatorContext.Create("tail", timeProvider: clock));

        var (share1, tracker1) = Acknowledgement.Create();
        var (share2, tracker2) = Acknowledgement.Create();
        var first = TelemetryBatch.Create(Request("svc", Span(TraceId(1), id: 0, status: Status.Types.StatusCode.Error), Span(TraceId(2), id: 0), Span(TraceId(2), id: 1, parent: 0)), ack: share1);
        var second = TelemetryBatch.Create(Request("svc", Span(TraceId(2), id: 2, parent: 0), Span(TraceId(3), id: 0), Span(TraceId(1), id: 1, parent: 0)), ack: share2);
        await sampler.ProcessAsync(TailSamplingTestKit.Prepare(first, Encoded), output, default);
        share1.Deliver();
        await sampler.ProcessAsync(TailSamplingTestKit.Prepare(second, Encoded), output, default);
        share2.Deliver();

        clock.Advance(TimeSpan.FromSeconds(10));
        await sampler.TickAsync(output, default);

        Assert.Equal(4, output.Recording.Dropped["not-sampled"]);
        Assert.Empty(output.Recording.On(IOperatorOutput.DroppedPort));
        Assert.Equal(2, output.Recording.ItemsOut);
        Assert.Equal(6, output.Recording.ItemsOut + output.Recording.ItemsDropped);
        Assert.Equal(4, sampler.Counters.DroppedByReason["not-sampled"]);
        Assert.Equal(0, sampler.HeldBytes);

        foreach (var batch in output.Recording.On())
        {
            batch.Ack.Deliver();
        }

        var result1 = await tracker1.Completion;
        var result2 = await tracker2.Completion;
        Assert.True(result1.Succeeded && result2.Succeeded);
        Assert.Equal(3, result1.RefusedItems); // trace 2 (3 spans) was refused with both requests' shares
        Assert.Equal(4, result2.RefusedItems); // traces 2 and 3
    }

    [Fact]
    public async Task In_a_pipeline_without_a_dropped_link_every_span_is_counted_after_the_drain()
    {
        var store = new CollectedSpans();
        var registry = new OperatorRegistry()
            .AddAssembly(typeof(TailSamplingOperator).Assembly)
            .AddOperator<SpanCollector>("test.collect");
        await using var pipeline = new PipelineBuilder(registry, store).Build(PipelineLoader.Parse("""
        { "operators": {
            "gen":  { "type": "generate", "count": 20000, "batchSize": 500, "seed": 4 },
            "tail": { "type": "sampling.tail", "inputs": ["gen"], "decisionWait": "1h", "policies": [ { "type": "probabilistic", "ratio": 0.2 } ] },
            "kept": { "type": "test.collect", "inputs": ["tail"] } } }
        """, "test.json"));
        await pipeline.StartAsync();
        await pipeline.Completion;

        var counters = pipeline.Counters["tail"];
        Assert.Equal(20000, counters.ItemsIn);
        Assert.True(counters.Balanced, counters.ToString());
        Assert.Equal(20000 - store.Of("kept").Count, counters.ItemsDropped);
        Assert.InRange(store.Of("kept").Count, 1, 19999);
    }

    /// <summary>A recording output whose <c>dropped</c> port nobody reads.</summary>
    private sealed class UnlinkedDroppedOutput : IOperatorOutput
    {
        public RecordingOutput Recording { get; } = new();

        public ValueTask EmitAsync(TelemetryBatch batch, CancellationToken cancellationToken = default) => Recording.EmitAsync(batch, cancellationToken);

        public ValueTask EmitAsync(string port, TelemetryBatch batch, CancellationToken cancellationToken = default) => Recording.EmitAsync(port, batch, cancellationToken);

        public ValueTask DropAsync(TelemetryBatch batch, string reason, CancellationToken cancellationToken = default)
        {
            Recording.CountDropped(batch.ItemCount, reason);
            batch.Ack.Refuse(batch.ItemCount, reason);
            return ValueTask.CompletedTask;
        }

        public void CountDropped(long items, string reason) => Recording.CountDropped(items, reason);

        public void CountReturned(long items) => Recording.CountReturned(items);

        public bool IsLinked(string port) => port != IOperatorOutput.DroppedPort;
    }

    private TailSamplingTestKit NewKit(string json) => new(json, Encoded);
}

/// <summary>Every test of <see cref="TailSamplingHeldDataTests"/> with encoded input batches.</summary>
public sealed class TailSamplingHeldDataEncodedTests : TailSamplingHeldDataTests
{
    protected override bool Encoded => true;
}
