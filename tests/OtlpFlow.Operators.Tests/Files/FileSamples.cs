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

namespace OtlpFlow.Operators.Tests.Files;

/// <summary>Small, distinct export requests of each signal.</summary>
internal static class FileSamples
{
    private const ulong BaseNanos = 1_700_000_000_123_456_789;

    public static ExportTraceServiceRequest Traces(int n) => new()
    {
        ResourceSpans =
        {
            new ResourceSpans
            {
                Resource = Resource(n),
                ScopeSpans =
                {
                    new ScopeSpans
                    {
                        Scope = new InstrumentationScope { Name = "files.tests" },
                        Spans =
                        {
                            new Span
                            {
                                TraceId = Id(16, n),
                                SpanId = Id(8, n),
                                ParentSpanId = Id(8, n + 100),
                                Name = $"span {n}",
                                Kind = Span.Types.SpanKind.Client,
                                StartTimeUnixNano = BaseNanos + (ulong)n,
                                EndTimeUnixNano = BaseNanos + (ulong)n + 500,
                                Attributes = { new KeyValue { Key = "bytes", Value = new AnyValue { BytesValue = ByteString.CopyFrom((byte)n, 255) } } },
                                Links = { new Span.Types.Link { TraceId = Id(16, n + 1), SpanId = Id(8, n + 1) } },
                                Status = new Status { Code = Status.Types.StatusCode.Ok },
                            },
                            new Span { TraceId = Id(16, n), SpanId = Id(8, n + 200), Name = "child ünïcode" },
                        },
                    },
                },
            },
        },
    };

    public static ExportMetricsServiceRequest Metrics(int n) => new()
    {
        ResourceMetrics =
        {
            new ResourceMetrics
            {
                Resource = Resource(n),
                ScopeMetrics =
                {
                    new ScopeMetrics
                    {
                        Metrics =
                        {
                            new Metric
                            {
                                Name = $"requests.{n}",
                                Sum = new Sum
                                {
                                    IsMonotonic = true,
                                    AggregationTemporality = AggregationTemporality.Cumulative,
                                    DataPoints =
                                    {
                                        new NumberDataPoint
                                        {
                                            TimeUnixNano = BaseNanos,
                                            AsInt = n,
                                            Exemplars = { new Exemplar { AsDouble = 1.5, TraceId = Id(16, n), SpanId = Id(8, n) } },
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    };

    public static ExportLogsServiceRequest Logs(int n) => new()
    {
        ResourceLogs =
        {
            new ResourceLogs
            {
                Resource = Resource(n),
                ScopeLogs =
                {
                    new ScopeLogs
                    {
                        LogRecords =
                        {
                            new LogRecord
                            {
                                TimeUnixNano = BaseNanos,
                                SeverityNumber = SeverityNumber.Error,
                                Body = new AnyValue { StringValue = $"line {n}\nsecond line" },
                                TraceId = Id(16, n),
                                SpanId = Id(8, n),
                            },
                        },
                    },
                },
            },
        },
    };

    public static IMessage Request(Signal signal, int n) => signal switch
    {
        Signal.Traces => Traces(n),
        Signal.Metrics => Metrics(n),
        _ => Logs(n),
    };

    private static Resource Resource(int n) => new()
    {
        Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = $"service-{n}" } } },
    };

    private static ByteString Id(int length, int seed)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(seed * 31 + i * 7 + 1);
        }

        return ByteString.CopyFrom(bytes);
    }
}
