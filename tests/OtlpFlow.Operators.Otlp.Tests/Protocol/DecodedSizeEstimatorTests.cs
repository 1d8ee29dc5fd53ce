using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Otlp.Protocol;
using OtlpFlow.Operators.Otlp.Tests.Support;

namespace OtlpFlow.Operators.Otlp.Tests.Protocol;

/// <summary>The schema-driven pre-scan: structure, counts, and an estimate of the decoded size before decoding.</summary>
public sealed class DecodedSizeEstimatorTests
{
    private static readonly DecodeLimits NoLimits = new(0, 0, 0);

    /// <summary>A request as an SDK sends it: spans with parents, HTTP attributes, an event, ~300 bytes each.</summary>
    internal static ExportTraceServiceRequest RealisticTraces(int spans)
    {
        var random = new Random(5);
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "Shop.Checkout", Version = "2.1.0" } };
        for (var i = 0; i < spans; i++)
        {
            var ids = new byte[32];
            random.NextBytes(ids);
            var route = "/api/v1/items/" + random.Next(1000);
            scope.Spans.Add(new Span
            {
                TraceId = ByteString.CopyFrom(ids, 0, 16),
                SpanId = ByteString.CopyFrom(ids, 16, 8),
                ParentSpanId = ByteString.CopyFrom(ids, 24, 8),
                Name = "GET " + route,
                Kind = Span.Types.SpanKind.Server,
                StartTimeUnixNano = 1_700_000_000_000_000_000UL + (ulong)i,
                EndTimeUnixNano = 1_700_000_000_050_000_000UL + (ulong)i,
                Status = new OpenTelemetry.Proto.Trace.V1.Status { Code = OpenTelemetry.Proto.Trace.V1.Status.Types.StatusCode.Ok },
                Attributes =
                {
                    Text("http.request.method", "GET"),
                    Text("url.path", route),
                    Text("http.route", "/api/v1/items/{id}"),
                    Text("server.address", "checkout.internal.example.com"),
                    new KeyValue { Key = "http.response.status_code", Value = new AnyValue { IntValue = 200 } },
                },
                Events = { new Span.Types.Event { Name = "cache.miss", TimeUnixNano = 1_700_000_000_010_000_000UL } },
            });
        }

        var resource = new Resource { Attributes = { Text("service.name", "checkout"), Text("host.name", "node-17") } };
        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { Resource = resource, ScopeSpans = { scope } } } };
    }

    private static KeyValue Text(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    /// <summary>Bytes allocated by parsing <paramref name="bytes"/>: what the process really holds for the decoded request.</summary>
    private static long DecodedBytes<T>(MessageParser<T> parser, byte[] bytes) where T : IMessage<T>
    {
        parser.ParseFrom(bytes); // warm up
        var before = GC.GetAllocatedBytesForCurrentThread();
        var message = parser.ParseFrom(bytes);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(message);
        return allocated;
    }

    /// <summary>31 million empty ScopeSpans in one ResourceSpans: 62 MB of wire bytes, a few KB once compressed.</summary>
    internal static byte[] EmptyScopeSpansBomb(int empties)
    {
        var inner = empties * 2;
        var raw = new byte[1 + 5 + inner];
        var writer = new CodedOutputStream(raw);
        writer.WriteTag(1, WireFormat.WireType.LengthDelimited);
        writer.WriteLength(inner);
        writer.Flush();
        var at = (int)writer.Position;
        for (var i = 0; i < empties; i++)
        {
            raw[at++] = 0x12;
            raw[at++] = 0x00;
        }

        return raw[..at];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(5_000)]
    public void A_realistic_trace_request_is_counted_and_its_estimate_is_within_a_factor_of_two_of_the_real_decoded_size(int spans)
    {
        var bytes = RealisticTraces(spans).ToByteArray();

        var estimate = DecodedSizeEstimator.Scan(ExportTraceServiceRequest.Descriptor, bytes, NoLimits);

        Assert.Equal(DecodeVerdict.Ok, estimate.Verdict);
        Assert.Equal(spans, estimate.Items);
        var real = DecodedBytes(ExportTraceServiceRequest.Parser, bytes);
        Assert.InRange(estimate.DecodedBytes, real / 2, real * 2);
    }

    [Fact]
    public void Metrics_and_logs_are_counted_by_data_point_and_log_record()
    {
        var gauge = new Metric { Name = "queue.depth", Gauge = new Gauge() };
        for (var i = 0; i < 7; i++)
        {
            gauge.Gauge.DataPoints.Add(new NumberDataPoint { AsInt = i, TimeUnixNano = (ulong)i, Attributes = { Text("queue", "q" + i) } });
        }

        var histogram = new Metric { Name = "latency", Histogram = new Histogram() };
        histogram.Histogram.DataPoints.Add(new HistogramDataPoint { Count = 3, BucketCounts = { 1, 1, 1 }, ExplicitBounds = { 0.5, 1.0 } });
        var metrics = new ExportMetricsServiceRequest { ResourceMetrics = { new ResourceMetrics { ScopeMetrics = { new ScopeMetrics { Metrics = { gauge, histogram } } } } } };
        var logs = new ExportLogsServiceRequest { ResourceLogs = { new ResourceLogs { ScopeLogs = { new ScopeLogs { LogRecords =
        {
            new LogRecord { Body = new AnyValue { StringValue = "started" } },
            new LogRecord { Body = new AnyValue { StringValue = "stopped" } },
        } } } } } };

        var metricsBytes = metrics.ToByteArray();
        var metricsEstimate = DecodedSizeEstimator.Scan(DecodedSizeEstimator.RequestDescriptor(Signal.Metrics), metricsBytes, NoLimits);
        var logsEstimate = DecodedSizeEstimator.Scan(DecodedSizeEstimator.RequestDescriptor(Signal.Logs), logs.ToByteArray(), NoLimits);

        Assert.Equal((DecodeVerdict.Ok, 8L), (metricsEstimate.Verdict, metricsEstimate.Items));
        Assert.Equal((DecodeVerdict.Ok, 2L), (logsEstimate.Verdict, logsEstimate.Items));
        Assert.InRange(metricsEstimate.DecodedBytes, DecodedBytes(ExportMetricsServiceRequest.Parser, metricsBytes) / 2, DecodedBytes(ExportMetricsServiceRequest.Parser, metricsBytes) * 2);
    }

    [Fact]
    public void Thirty_one_million_empty_scope_spans_are_refused_as_too_large_without_allocating()
    {
        var bomb = EmptyScopeSpansBomb(31_000_000);
        var limits = new DecodeLimits(256L * 1024 * 1024, 10_000_000, 1_000_000);
        DecodedSizeEstimator.Scan(ExportTraceServiceRequest.Descriptor, bomb.AsMemory(0, 1000), limits); // warm up

        var before = GC.GetAllocatedBytesForCurrentThread();
        var estimate = DecodedSizeEstimator.Scan(ExportTraceServiceRequest.Descriptor, bomb, limits);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.NotEqual(DecodeVerdict.Ok, estimate.Verdict);
        Assert.NotEqual(DecodeVerdict.Invalid, estimate.Verdict);
        Assert.Contains("more than", estimate.Problem, StringComparison.Ordinal);
        Assert.True(allocated < 16 * 1024, $"the scan allocated {allocated} bytes");
    }

    [Fact]
    public void Without_limits_the_bomb_is_estimated_at_gigabytes_although_it_is_62_MB_of_wire_bytes()
    {
        var bomb = EmptyScopeSpansBomb(31_000_000);

        var estimate = DecodedSizeEstimator.Scan(ExportTraceServiceRequest.Descriptor, bomb, NoLimits);

        Assert.Equal(DecodeVerdict.Ok, estimate.Verdict);
        Assert.True(estimate.DecodedBytes > 1024L * 1024 * 1024, $"estimated {estimate.DecodedBytes} bytes");
        Assert.Equal(31_000_002, estimate.Elements);
    }

    [Fact]
    public void More_items_than_allowed_are_refused()
    {
        var bytes = Requests.Traces(50).ToByteArray();

        var estimate = DecodedSizeEstimator.Scan(ExportTraceServiceRequest.Descriptor, bytes, new DecodeLimits(0, 0, 49));

        Assert.Equal(DecodeVerdict.TooManyElements, estimate.Verdict);
        Assert.Contains("49 items", estimate.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_bytes_are_invalid()
    {
        var bytes = RealisticTraces(10).ToByteArray();

        var estimate = DecodedSizeEstimator.Scan(ExportTraceServiceRequest.Descriptor, bytes.AsMemory(0, bytes.Length - 7), NoLimits);

        Assert.Equal(DecodeVerdict.Invalid, estimate.Verdict);
        Assert.Contains("truncated", estimate.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_wire_type_is_invalid()
    {
        // Field 1 with wire type 7, which does not exist.
        var estimate = DecodedSizeEstimator.Scan(ExportTraceServiceRequest.Descriptor, new byte[] { 0x0F, 0x00 }, NoLimits);

        Assert.Equal(DecodeVerdict.Invalid, estimate.Verdict);
        Assert.Contains("wire type", estimate.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_field_sent_as_a_varint_is_invalid_as_the_parser_would_find()
    {
        // ResourceSpans.scope_spans (a message) sent with the varint wire type is kept as an
        // unknown field by the parser, which is fine; a string field sent as a packed run is not.
        var bad = new byte[] { 0x0A, 0x04, 0x18, 0x02, 0x01, 0x02 }; // ResourceSpans { schema_url (3) as varint 2 } + stray bytes
        var estimate = DecodedSizeEstimator.Scan(ExportTraceServiceRequest.Descriptor, bad, NoLimits);

        Assert.Equal(DecodeVerdict.Invalid, estimate.Verdict);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_invalid()
    {
        // AnyValue { kvlist_value { values { value { kvlist_value ... } } } }, 200 levels deep.
        var value = new AnyValue { StringValue = "leaf" };
        for (var i = 0; i < 100; i++)
        {
            value = new AnyValue { KvlistValue = new KeyValueList { Values = { new KeyValue { Key = "k", Value = value } } } };
        }

        var request = new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { Resource = new Resource { Attributes = { new KeyValue { Key = "deep", Value = value } } } } } };
        var estimate = DecodedSizeEstimator.Scan(ExportTraceServiceRequest.Descriptor, request.ToByteArray(), NoLimits);

        Assert.Equal(DecodeVerdict.Invalid, estimate.Verdict);
        Assert.Contains("nested", estimate.Problem, StringComparison.Ordinal);
    }
}
