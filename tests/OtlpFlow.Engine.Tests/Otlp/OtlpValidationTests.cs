using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Otlp;

namespace OtlpFlow.Engine.Tests.Otlp;

public sealed class OtlpValidationTests
{
    private static ByteString Bytes(int n) => ByteString.CopyFrom(new byte[n]);

    private static ExportTraceServiceRequest Traces(Span span) => new() { ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { span } } } } } };

    [Theory]
    [InlineData(16, 8, 0, null)]
    [InlineData(0, 0, 0, null)]
    [InlineData(16, 8, 8, null)]
    [InlineData(3, 8, 0, "resourceSpans[0].scopeSpans[0].spans[0].traceId must be empty or 16 bytes, got 3")]
    [InlineData(16, 9, 0, "resourceSpans[0].scopeSpans[0].spans[0].spanId must be empty or 8 bytes, got 9")]
    [InlineData(16, 8, 4, "resourceSpans[0].scopeSpans[0].spans[0].parentSpanId must be empty or 8 bytes, got 4")]
    public void Span_ids_must_be_empty_or_of_their_length(int trace, int span, int parent, string? expected)
    {
        var request = Traces(new Span { TraceId = Bytes(trace), SpanId = Bytes(span), ParentSpanId = Bytes(parent) });
        Assert.Equal(expected, OtlpValidation.FindProblem(request));
    }

    [Fact]
    public void Link_log_and_exemplar_ids_are_checked_too()
    {
        var link = Traces(new Span { TraceId = Bytes(16), SpanId = Bytes(8), Links = { new Span.Types.Link { TraceId = Bytes(15), SpanId = Bytes(8) } } });
        Assert.Contains("links[0].traceId", OtlpValidation.FindProblem(link), StringComparison.Ordinal);

        var log = new ExportLogsServiceRequest { ResourceLogs = { new ResourceLogs { ScopeLogs = { new ScopeLogs { LogRecords = { new LogRecord(), new LogRecord { SpanId = Bytes(7) } } } } } } };
        Assert.Equal("resourceLogs[0].scopeLogs[0].logRecords[1].spanId must be empty or 8 bytes, got 7", OtlpValidation.FindProblem(log));

        var gauge = new Metric { Gauge = new Gauge { DataPoints = { new NumberDataPoint { Exemplars = { new Exemplar { TraceId = Bytes(1) } } } } } };
        var metrics = new ExportMetricsServiceRequest { ResourceMetrics = { new ResourceMetrics { ScopeMetrics = { new ScopeMetrics { Metrics = { gauge } } } } } };
        Assert.Contains("exemplars.traceId", OtlpValidation.FindProblem(metrics), StringComparison.Ordinal);
    }
}
