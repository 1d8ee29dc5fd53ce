using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Engine.Tests.Otlp;

/// <summary>Requests that use every part of the OTLP model, for codec tests.</summary>
internal static class OtlpSamples
{
    public const string TraceIdHex = "5b8efff798038103d269b633813fc60c";
    public const string SpanIdHex = "eee19b7ec3c1b174";
    public const string ParentSpanIdHex = "eee19b7ec3c1b173";
    public const string LinkTraceIdHex = "0af7651916cd43dd8448eb211c80319c";
    public const string LinkSpanIdHex = "b7ad6b7169203331";

    // Above 2^53, so a double would round it.
    public const ulong PreciseNanos = 1_700_000_000_123_456_789;

    public static ByteString Id(string hex) => ByteString.CopyFrom(Convert.FromHexString(hex));

    public static Resource Resource() => new()
    {
        Attributes = { Attribute("service.name", new AnyValue { StringValue = "checkout" }) },
        DroppedAttributesCount = 1,
    };

    public static InstrumentationScope Scope() => new()
    {
        Name = "otlpflow.tests",
        Version = "1.2.3",
        Attributes = { Attribute("scope.attr", new AnyValue { BoolValue = true }) },
    };

    /// <summary>One attribute of every AnyValue kind, nested kinds included.</summary>
    public static IEnumerable<KeyValue> EveryAnyValue() =>
    [
        Attribute("string", new AnyValue { StringValue = "héllo \"quoted\"\nnext line" }),
        Attribute("empty.string", new AnyValue { StringValue = string.Empty }),
        Attribute("bool", new AnyValue { BoolValue = false }),
        Attribute("int", new AnyValue { IntValue = long.MinValue }),
        Attribute("int.max", new AnyValue { IntValue = long.MaxValue }),
        Attribute("double", new AnyValue { DoubleValue = 3.5 }),
        Attribute("double.nan", new AnyValue { DoubleValue = double.NaN }),
        Attribute("bytes", new AnyValue { BytesValue = ByteString.CopyFrom(0, 1, 2, 250, 255) }),
        Attribute("array", new AnyValue
        {
            ArrayValue = new ArrayValue
            {
                Values = { new AnyValue { StringValue = "a" }, new AnyValue { IntValue = 7 }, new AnyValue() },
            },
        }),
        Attribute("kvlist", new AnyValue
        {
            KvlistValue = new KeyValueList
            {
                // A key named like an id field is an attribute, not an id: it must stay as written.
                Values = { Attribute("traceId", new AnyValue { StringValue = "not-hex" }), Attribute("nested", new AnyValue { DoubleValue = -1 }) },
            },
        }),
        Attribute("unset", new AnyValue()),
    ];

    public static ExportTraceServiceRequest Traces()
    {
        var span = new Span
        {
            TraceId = Id(TraceIdHex),
            SpanId = Id(SpanIdHex),
            ParentSpanId = Id(ParentSpanIdHex),
            TraceState = "vendor=value",
            Flags = 0x301,
            Name = "GET /cart",
            Kind = Span.Types.SpanKind.Server,
            StartTimeUnixNano = PreciseNanos,
            EndTimeUnixNano = PreciseNanos + 1_000_000,
            DroppedAttributesCount = 2,
            DroppedEventsCount = 3,
            DroppedLinksCount = 4,
            Status = new Status { Code = Status.Types.StatusCode.Error, Message = "boom" },
            Events =
            {
                new Span.Types.Event
                {
                    TimeUnixNano = PreciseNanos + 5,
                    Name = "exception",
                    Attributes = { Attribute("exception.type", new AnyValue { StringValue = "IOException" }) },
                    DroppedAttributesCount = 1,
                },
            },
            Links =
            {
                new Span.Types.Link
                {
                    TraceId = Id(LinkTraceIdHex),
                    SpanId = Id(LinkSpanIdHex),
                    TraceState = "a=b",
                    Flags = 1,
                    DroppedAttributesCount = 5,
                    Attributes = { Attribute("link.kind", new AnyValue { StringValue = "follows" }) },
                },
            },
        };
        span.Attributes.AddRange(EveryAnyValue());

        // A root span: no parent, so its parentSpanId is omitted.
        var root = new Span { TraceId = Id(TraceIdHex), SpanId = Id(ParentSpanIdHex), Name = "root", Kind = Span.Types.SpanKind.Internal };

        return new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                new ResourceSpans
                {
                    Resource = Resource(),
                    SchemaUrl = "https://opentelemetry.io/schemas/1.26.0",
                    ScopeSpans = { new ScopeSpans { Scope = Scope(), SchemaUrl = "scope-schema", Spans = { span, root } } },
                },
            },
        };
    }

    public static ExportMetricsServiceRequest Metrics()
    {
        var exemplar = new Exemplar
        {
            TimeUnixNano = PreciseNanos,
            AsDouble = 12.5,
            TraceId = Id(TraceIdHex),
            SpanId = Id(SpanIdHex),
            FilteredAttributes = { Attribute("user", new AnyValue { StringValue = "u1" }) },
        };
        var gauge = new Metric
        {
            Name = "cpu.temperature",
            Description = "CPU temperature",
            Unit = "Cel",
            Metadata = { Attribute("meta", new AnyValue { IntValue = 1 }) },
            Gauge = new Gauge
            {
                DataPoints =
                {
                    new NumberDataPoint { TimeUnixNano = PreciseNanos, AsDouble = 55.25, Exemplars = { exemplar } },
                    new NumberDataPoint { TimeUnixNano = PreciseNanos, AsInt = -3, Flags = 1 },
                },
            },
        };
        var sum = new Metric
        {
            Name = "requests",
            Unit = "1",
            Sum = new Sum
            {
                AggregationTemporality = AggregationTemporality.Cumulative,
                IsMonotonic = true,
                DataPoints =
                {
                    new NumberDataPoint
                    {
                        StartTimeUnixNano = PreciseNanos - 10,
                        TimeUnixNano = PreciseNanos,
                        AsInt = long.MaxValue,
                        Attributes = { Attribute("route", new AnyValue { StringValue = "/cart" }) },
                        Exemplars = { new Exemplar { TimeUnixNano = PreciseNanos, AsInt = 9, SpanId = Id(SpanIdHex) } },
                    },
                },
            },
        };
        var histogram = new Metric
        {
            Name = "latency",
            Unit = "ms",
            Histogram = new Histogram
            {
                AggregationTemporality = AggregationTemporality.Delta,
                DataPoints =
                {
                    new HistogramDataPoint
                    {
                        StartTimeUnixNano = PreciseNanos - 10,
                        TimeUnixNano = PreciseNanos,
                        Count = 10,
                        Sum = 0, // present though zero: an optional field
                        Min = 1.5,
                        Max = 99,
                        BucketCounts = { 1, 2, ulong.MaxValue, 0 },
                        ExplicitBounds = { 5, 10, 50 },
                        Exemplars = { exemplar },
                    },
                },
            },
        };
        var exponential = new Metric
        {
            Name = "latency.exp",
            ExponentialHistogram = new ExponentialHistogram
            {
                AggregationTemporality = AggregationTemporality.Cumulative,
                DataPoints =
                {
                    new ExponentialHistogramDataPoint
                    {
                        TimeUnixNano = PreciseNanos,
                        Count = 7,
                        Sum = 42.5,
                        Scale = -2,
                        ZeroCount = 1,
                        ZeroThreshold = 1e-9,
                        Positive = new ExponentialHistogramDataPoint.Types.Buckets { Offset = -3, BucketCounts = { 1, 2, 3 } },
                        Negative = new ExponentialHistogramDataPoint.Types.Buckets { Offset = 1, BucketCounts = { 4 } },
                        Min = -1,
                        Max = 30,
                        Exemplars = { exemplar },
                    },
                },
            },
        };
        var summary = new Metric
        {
            Name = "gc.pause",
            Summary = new Summary
            {
                DataPoints =
                {
                    new SummaryDataPoint
                    {
                        TimeUnixNano = PreciseNanos,
                        Count = 3,
                        Sum = 9.75,
                        QuantileValues =
                        {
                            new SummaryDataPoint.Types.ValueAtQuantile { Quantile = 0.5, Value = 2 },
                            new SummaryDataPoint.Types.ValueAtQuantile { Quantile = 0.99, Value = 5.5 },
                        },
                    },
                },
            },
        };

        return new ExportMetricsServiceRequest
        {
            ResourceMetrics =
            {
                new ResourceMetrics
                {
                    Resource = Resource(),
                    ScopeMetrics = { new ScopeMetrics { Scope = Scope(), Metrics = { gauge, sum, histogram, exponential, summary } } },
                },
            },
        };
    }

    public static ExportLogsServiceRequest Logs() => new()
    {
        ResourceLogs =
        {
            new ResourceLogs
            {
                Resource = Resource(),
                ScopeLogs =
                {
                    new ScopeLogs
                    {
                        Scope = Scope(),
                        LogRecords =
                        {
                            new LogRecord
                            {
                                TimeUnixNano = PreciseNanos,
                                ObservedTimeUnixNano = PreciseNanos + 1,
                                SeverityNumber = SeverityNumber.Warn2,
                                SeverityText = "WARN",
                                Body = new AnyValue { KvlistValue = new KeyValueList { Values = { EveryAnyValue() } } },
                                Attributes = { Attribute("log.attr", new AnyValue { IntValue = 42 }) },
                                DroppedAttributesCount = 1,
                                Flags = 1,
                                TraceId = Id(TraceIdHex),
                                SpanId = Id(SpanIdHex),
                                EventName = "cart.checkout",
                            },
                            new LogRecord { Body = new AnyValue { StringValue = "plain" } },
                        },
                    },
                },
            },
        },
    };

    private static KeyValue Attribute(string key, AnyValue value) => new() { Key = key, Value = value };
}
