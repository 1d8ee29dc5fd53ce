using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Operators.Arrow.Encoding;
using OtlpFlow.Operators.Arrow.Tests.Support;

namespace OtlpFlow.Operators.Arrow.Tests.Encoding;

/// <summary>Shapes the generator never makes: absent objects, odd values, every value type.</summary>
public sealed class EdgeCaseTests
{
    private static KeyValue[] EveryValueType() =>
    [
        new() { Key = "s", Value = new AnyValue { StringValue = "text" } },
        new() { Key = "b", Value = new AnyValue { BoolValue = true } },
        new() { Key = "i", Value = new AnyValue { IntValue = long.MinValue } },
        new() { Key = "d", Value = new AnyValue { DoubleValue = double.NaN } },
        new() { Key = "d", Value = new AnyValue { DoubleValue = -0.0 } },
        new() { Key = "bytes", Value = new AnyValue { BytesValue = ByteString.CopyFrom(0, 1, 2, 255) } },
        new() { Key = "empty", Value = new AnyValue() },
        new() { Key = "absent" },
        new() { Key = "", Value = new AnyValue { StringValue = "" } },
        new()
        {
            Key = "nested",
            Value = new AnyValue
            {
                ArrayValue = new ArrayValue { Values = { new AnyValue { IntValue = 1 }, new AnyValue { KvlistValue = new KeyValueList { Values = { new KeyValue { Key = "k", Value = new AnyValue { StringValue = "v" } } } } } } },
            },
        },
        new() { Key = "s", Value = new AnyValue { StringValue = "duplicate key, kept in order" } },
    ];

    [Fact]
    public void Traces_with_absent_objects_and_every_value_type_round_trip()
    {
        var request = new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                new ResourceSpans(),
                new ResourceSpans
                {
                    Resource = new Resource { DroppedAttributesCount = 3, Attributes = { EveryValueType() }, EntityRefs = { new EntityRef { Type = "service", IdKeys = { "service.name" } } } },
                    SchemaUrl = "https://example.com/schema",
                    ScopeSpans =
                    {
                        new ScopeSpans(),
                        new ScopeSpans
                        {
                            Scope = new InstrumentationScope { Name = "lib", Version = "1.0", Attributes = { EveryValueType() }, DroppedAttributesCount = 1 },
                            Spans =
                            {
                                new Span(),
                                new Span
                                {
                                    TraceId = ByteString.CopyFrom(new byte[16]),
                                    SpanId = ByteString.CopyFrom(1, 2, 3),
                                    Name = "odd",
                                    Kind = (Span.Types.SpanKind)42,
                                    StartTimeUnixNano = ulong.MaxValue,
                                    EndTimeUnixNano = 1,
                                    Flags = 0x301,
                                    TraceState = "a=b",
                                    Status = new Status(),
                                    Attributes = { EveryValueType() },
                                    DroppedAttributesCount = 9,
                                    DroppedEventsCount = 8,
                                    DroppedLinksCount = 7,
                                    Events = { new Span.Types.Event(), new Span.Types.Event { Name = "e", TimeUnixNano = 5, Attributes = { EveryValueType() }, DroppedAttributesCount = 2 } },
                                    Links = { new Span.Types.Link { TraceId = ByteString.CopyFrom(9), Attributes = { EveryValueType() }, Flags = 1, TraceState = "x", DroppedAttributesCount = 4 } },
                                },
                                new Span { Status = new Status { Code = Status.Types.StatusCode.Error, Message = "boom" }, Events = { new Span.Types.Event { Name = "late" } } },
                            },
                        },
                    },
                },
            },
        };

        RoundTrip.AssertLossless(request);
    }

    [Fact]
    public void Logs_with_every_body_type_round_trip()
    {
        var scope = new ScopeLogs { Scope = new InstrumentationScope() };
        foreach (var kv in EveryValueType())
        {
            var record = new LogRecord { SeverityNumber = SeverityNumber.Warn, SeverityText = "W", TimeUnixNano = 10, ObservedTimeUnixNano = 5, EventName = "ev", Flags = 1, TraceId = ByteString.CopyFrom(1), Attributes = { kv } };
            if (kv.Value is not null)
            {
                record.Body = kv.Value;
            }

            scope.LogRecords.Add(record);
        }

        RoundTrip.AssertLossless(new ExportLogsServiceRequest { ResourceLogs = { new ResourceLogs { ScopeLogs = { scope, new ScopeLogs() } } } });
    }

    [Fact]
    public void Metrics_of_every_type_with_optional_fields_round_trip()
    {
        var exemplar = new Exemplar { AsInt = 3, TimeUnixNano = 7, SpanId = ByteString.CopyFrom(1), FilteredAttributes = { new KeyValue { Key = "k" } } };
        var metrics = new ScopeMetrics
        {
            Metrics =
            {
                new Metric { Name = "none" },
                new Metric { Name = "g", Unit = "1", Description = "d", Metadata = { EveryValueType() }, Gauge = new Gauge { DataPoints = { new NumberDataPoint(), new NumberDataPoint { AsInt = -5, Exemplars = { exemplar }, Attributes = { EveryValueType() } }, new NumberDataPoint { AsDouble = 1.5, Flags = 1 } } } },
                new Metric { Name = "s", Sum = new Sum { IsMonotonic = true, AggregationTemporality = AggregationTemporality.Delta, DataPoints = { new NumberDataPoint { AsDouble = 2, StartTimeUnixNano = 100, TimeUnixNano = 50 } } } },
                new Metric { Name = "h", Histogram = new Histogram { DataPoints = { new HistogramDataPoint(), new HistogramDataPoint { Count = 3, Sum = 0, Min = -1, BucketCounts = { 1, 2 }, ExplicitBounds = { 0.5 }, Exemplars = { exemplar } } } } },
                new Metric { Name = "e", ExponentialHistogram = new ExponentialHistogram { DataPoints = { new ExponentialHistogramDataPoint(), new ExponentialHistogramDataPoint { Scale = -2, ZeroCount = 1, ZeroThreshold = 1e-9, Max = 4, Positive = new ExponentialHistogramDataPoint.Types.Buckets { Offset = -3, BucketCounts = { 1, 0, 5 } }, Negative = new ExponentialHistogramDataPoint.Types.Buckets() } } } },
                new Metric { Name = "q", Summary = new Summary { DataPoints = { new SummaryDataPoint { Count = 2, Sum = 3, QuantileValues = { new SummaryDataPoint.Types.ValueAtQuantile { Quantile = 0.5, Value = 1 } } } } } },
                new Metric { Name = "emptyGauge", Gauge = new Gauge() },
            },
        };

        RoundTrip.AssertLossless(new ExportMetricsServiceRequest { ResourceMetrics = { new ResourceMetrics { Resource = new Resource(), ScopeMetrics = { metrics } } } });
    }

    [Fact]
    public void Spans_whose_parents_come_later_or_form_loops_round_trip()
    {
        static ByteString Id(byte b) => ByteString.CopyFrom(b, 0, 0, 0, 0, 0, 0, b);
        var traceId = ByteString.CopyFrom(new byte[16]);
        Span Make(byte id, byte parent, ulong start) => new()
        {
            TraceId = traceId,
            SpanId = Id(id),
            ParentSpanId = parent == 0 ? ByteString.Empty : Id(parent),
            StartTimeUnixNano = start,
            EndTimeUnixNano = start + 10,
        };

        var spans = new ScopeSpans
        {
            Spans =
            {
                Make(1, 2, 1_000),          // parent later in the message
                Make(2, 3, 900),            // whose parent is later still
                Make(3, 0, 800),            // the root
                Make(4, 5, 5_000),          // 4 → 5 → 6 → 4: a loop
                Make(5, 6, 4_000),
                Make(6, 4, 3_000),
                Make(7, 7, 7_000),          // its own parent
                Make(8, 9, ulong.MaxValue), // parent not in the message
                Make(9, 1, 0),              // start before its parent's
            },
        };
        RoundTrip.AssertLossless(new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { spans } } } });
    }

    [Fact]
    public void Empty_requests_round_trip()
    {
        RoundTrip.AssertLossless(new ExportTraceServiceRequest());
        RoundTrip.AssertLossless(new ExportLogsServiceRequest());
        RoundTrip.AssertLossless(new ExportMetricsServiceRequest());
    }
}
