using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Operators.Generator;

namespace OtlpFlow.Operators.Tests.Generator;

public class GeneratorTraceShapeTests
{
    private const int Count = 6000;

    private static readonly Lazy<Task<IReadOnlyList<ExportTraceServiceRequest>>> Generated = new(async () =>
        (await GeneratorRun.ToEndAsync(new GeneratorOptions { Count = Count, BatchSize = 500, Seed = 7 }))
            .Select(b => (ExportTraceServiceRequest)b.Payload).ToList());

    [Fact]
    public async Task Every_parent_is_emitted_in_the_same_or_an_earlier_batch()
    {
        var seen = new HashSet<ByteString>();
        foreach (var request in await Generated.Value)
        {
            var spans = Spans(request).ToList();
            foreach (var span in spans)
            {
                seen.Add(span.SpanId);
            }

            Assert.All(spans.Where(s => !s.ParentSpanId.IsEmpty), s => Assert.Contains(s.ParentSpanId, seen));
        }
    }

    [Fact]
    public async Task Children_share_the_trace_and_lie_inside_their_parent_in_time()
    {
        var spans = (await Generated.Value).SelectMany(Spans).ToList();
        var byId = spans.ToDictionary(s => s.SpanId);

        foreach (var child in spans.Where(s => !s.ParentSpanId.IsEmpty))
        {
            var parent = byId[child.ParentSpanId];
            Assert.Equal(parent.TraceId, child.TraceId);
            Assert.InRange(child.StartTimeUnixNano, parent.StartTimeUnixNano, parent.EndTimeUnixNano);
            Assert.InRange(child.EndTimeUnixNano, child.StartTimeUnixNano + 1, parent.EndTimeUnixNano);
        }
    }

    [Fact]
    public async Task Each_trace_has_one_server_root_and_trees_of_varied_depth()
    {
        var spans = (await Generated.Value).SelectMany(Spans).ToList();
        var byId = spans.ToDictionary(s => s.SpanId);

        var roots = spans.Where(s => s.ParentSpanId.IsEmpty).ToList();
        Assert.All(roots, r => Assert.Equal(Span.Types.SpanKind.Server, r.Kind));
        Assert.Equal(roots.Count, roots.Select(r => r.TraceId).Distinct().Count());
        Assert.Equal(roots.Count, spans.Select(s => s.TraceId).Distinct().Count());

        var depths = spans.Select(s => Depth(s, byId)).ToList();
        Assert.True(depths.Max() >= 4, $"deepest span is at depth {depths.Max()}");
        var sizes = spans.GroupBy(s => s.TraceId).Select(g => g.Count()).ToList();
        Assert.True(sizes.Min() < 5 && sizes.Max() > 20, $"trace sizes from {sizes.Min()} to {sizes.Max()}");
    }

    [Fact]
    public async Task Ids_have_the_right_length_are_never_zero_and_span_ids_are_unique()
    {
        var spans = (await Generated.Value).SelectMany(Spans).ToList();

        Assert.All(spans, s =>
        {
            Assert.Equal(16, s.TraceId.Length);
            Assert.Equal(8, s.SpanId.Length);
            Assert.Contains(s.TraceId.Span.ToArray(), b => b != 0);
            Assert.Contains(s.SpanId.Span.ToArray(), b => b != 0);
        });
        Assert.Equal(spans.Count, spans.Select(s => s.SpanId).Distinct().Count());
        Assert.Equal(Count, spans.Count);
    }

    [Fact]
    public async Task Every_span_kind_appears()
    {
        var kinds = (await Generated.Value).SelectMany(Spans).Select(s => s.Kind).ToHashSet();

        Assert.Superset(
            new HashSet<Span.Types.SpanKind>
            {
                Span.Types.SpanKind.Server, Span.Types.SpanKind.Client, Span.Types.SpanKind.Internal,
                Span.Types.SpanKind.Producer, Span.Types.SpanKind.Consumer,
            },
            kinds);
    }

    [Fact]
    public async Task Attributes_cover_every_value_kind()
    {
        var kinds = (await Generated.Value).SelectMany(Spans).SelectMany(s => s.Attributes).Select(a => a.Value.ValueCase).ToHashSet();

        Assert.Superset(
            new HashSet<AnyValue.ValueOneofCase>
            {
                AnyValue.ValueOneofCase.StringValue, AnyValue.ValueOneofCase.BoolValue, AnyValue.ValueOneofCase.IntValue,
                AnyValue.ValueOneofCase.DoubleValue, AnyValue.ValueOneofCase.ArrayValue, AnyValue.ValueOneofCase.KvlistValue,
                AnyValue.ValueOneofCase.BytesValue,
            },
            kinds);
    }

    [Fact]
    public async Task A_few_percent_of_spans_fail_with_a_message()
    {
        var spans = (await Generated.Value).SelectMany(Spans).ToList();

        var failed = spans.Where(s => s.Status?.Code == Status.Types.StatusCode.Error).ToList();
        Assert.InRange(failed.Count / (double)spans.Count, 0.005, 0.15);
        Assert.All(failed, s => Assert.False(string.IsNullOrEmpty(s.Status.Message)));
        Assert.Contains(failed, s => s.Events.Any(e => e.Name == "exception"));
    }

    [Fact]
    public async Task Some_spans_have_events_and_some_have_links()
    {
        var spans = (await Generated.Value).SelectMany(Spans).ToList();

        var withEvents = spans.Count(s => s.Events.Count > 0);
        var withLinks = spans.Count(s => s.Links.Count > 0);
        Assert.InRange(withEvents, 1, spans.Count / 2);
        Assert.InRange(withLinks, 1, spans.Count / 2);
        Assert.All(spans.SelectMany(s => s.Links), l =>
        {
            Assert.Equal(16, l.TraceId.Length);
            Assert.Equal(8, l.SpanId.Length);
        });
    }

    [Fact]
    public async Task Root_latencies_have_a_long_tail()
    {
        var durations = (await Generated.Value).SelectMany(Spans).Where(s => s.ParentSpanId.IsEmpty)
            .Select(s => (double)(s.EndTimeUnixNano - s.StartTimeUnixNano)).Order().ToList();

        var median = durations[durations.Count / 2];
        var p99 = durations[(int)(durations.Count * 0.99)];
        Assert.True(p99 > 5 * median, $"p99 {p99} ns against median {median} ns");
    }

    [Fact]
    public async Task Resources_are_grouped_by_service_with_one_scope_per_library()
    {
        var requests = await Generated.Value;

        foreach (var request in requests)
        {
            var services = request.ResourceSpans.Select(r => Attribute(r.Resource.Attributes, "service.name")).ToList();
            Assert.Equal(services.Count, services.Distinct().Count());
            Assert.All(request.ResourceSpans, r =>
            {
                var scopes = r.ScopeSpans.Select(s => s.Scope.Name).ToList();
                Assert.Equal(scopes.Count, scopes.Distinct().Count());
                Assert.All(r.ScopeSpans, s => Assert.NotEmpty(s.Spans));
            });
        }

        var resource = requests[0].ResourceSpans[0].Resource;
        foreach (var key in (string[])["service.name", "service.version", "host.name", "deployment.environment"])
        {
            Assert.False(string.IsNullOrEmpty(Attribute(resource.Attributes, key)), key);
        }

        Assert.Equal(5, requests.SelectMany(r => r.ResourceSpans).Select(r => Attribute(r.Resource.Attributes, "service.name")).Distinct().Count());
    }

    [Fact]
    public async Task Services_option_sets_the_number_of_distinct_services()
    {
        var batches = await GeneratorRun.ToEndAsync(new GeneratorOptions { Count = 3000, Services = 20 });

        var services = batches.Select(b => (ExportTraceServiceRequest)b.Payload).SelectMany(r => r.ResourceSpans)
            .Select(r => Attribute(r.Resource.Attributes, "service.name")).Distinct().Count();
        Assert.Equal(20, services);
    }

    [Fact]
    public async Task A_single_service_still_makes_whole_traces()
    {
        var batches = await GeneratorRun.ToEndAsync(new GeneratorOptions { Count = 500, Services = 1 });

        var requests = batches.Select(b => (ExportTraceServiceRequest)b.Payload).ToList();
        Assert.All(requests, r => Assert.Single(r.ResourceSpans));
        Assert.Equal(500, requests.SelectMany(Spans).Count());
    }

    internal static IEnumerable<Span> Spans(ExportTraceServiceRequest request) =>
        request.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans);

    internal static string? Attribute(IEnumerable<KeyValue> attributes, string key) =>
        attributes.FirstOrDefault(a => a.Key == key)?.Value.StringValue;

    private static int Depth(Span span, Dictionary<ByteString, Span> byId)
    {
        var depth = 0;
        while (!span.ParentSpanId.IsEmpty)
        {
            span = byId[span.ParentSpanId];
            depth++;
        }

        return depth;
    }
}
