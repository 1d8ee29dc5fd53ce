using System.Globalization;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Telemetry;
using OtlpSpan = OpenTelemetry.Proto.Trace.V1.Span;

namespace OtlpFlow.Operators.Tests.Sampling;

/// <summary>Spans and batches for the sampler tests.</summary>
internal static class SamplingTestData
{
    public const ulong Start = 1_767_225_600_000_000_000UL;

    /// <summary>A trace id whose randomness (last 7 bytes) is <paramref name="randomness"/>.</summary>
    public static ByteString TraceId(ulong randomness, byte first = 0xab)
    {
        var bytes = new byte[16];
        bytes[0] = first;
        bytes[1] = (byte)(randomness >> 60);
        for (var i = 0; i < 7; i++)
        {
            bytes[15 - i] = (byte)(randomness >> (8 * i));
        }

        return ByteString.CopyFrom(bytes);
    }

    public static ByteString RandomTraceId(Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        return ByteString.CopyFrom(bytes);
    }

    public static ByteString SpanId(int n) => ByteString.CopyFrom(BitConverter.GetBytes((long)n + 1));

    public static Span Span(
        ByteString traceId,
        string traceState = "",
        string name = "GET /",
        int id = 0,
        int? parent = null,
        double durationMs = 10,
        Status.Types.StatusCode status = Status.Types.StatusCode.Unset,
        ulong startOffsetNanos = 0,
        params KeyValue[] attributes)
    {
        var span = new Span
        {
            TraceId = traceId,
            SpanId = SpanId(id),
            ParentSpanId = parent is { } p ? SpanId(p) : ByteString.Empty,
            Name = name,
            Kind = parent is null ? OtlpSpan.Types.SpanKind.Server : OtlpSpan.Types.SpanKind.Internal,
            TraceState = traceState,
            StartTimeUnixNano = Start + startOffsetNanos,
            EndTimeUnixNano = Start + startOffsetNanos + (ulong)(durationMs * 1_000_000),
            Status = new Status { Code = status },
        };
        span.Attributes.Add(attributes);
        return span;
    }

    public static KeyValue Str(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    public static KeyValue Int(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    public static KeyValue Bool(string key, bool value) => new() { Key = key, Value = new AnyValue { BoolValue = value } };

    public static ExportTraceServiceRequest Request(string service, params Span[] spans)
    {
        var resource = new Resource();
        resource.Attributes.Add(Str("service.name", service));
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "test" } };
        scope.Spans.Add(spans);
        var rs = new ResourceSpans { Resource = resource };
        rs.ScopeSpans.Add(scope);
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(rs);
        return request;
    }

    public static TelemetryBatch Batch(params Span[] spans) => TelemetryBatch.Create(Request("svc", spans));

    public static TelemetryBatch Batch(string service, params Span[] spans) => TelemetryBatch.Create(Request(service, spans));

    public static IEnumerable<Span> Spans(TelemetryBatch batch) =>
        batch.Traces!.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans);

    public static IEnumerable<Span> Spans(IEnumerable<TelemetryBatch> batches) => batches.SelectMany(Spans);

    public static string Hex(ByteString id) => Convert.ToHexStringLower(id.Span);

    public static string Hex(ulong value) => value.ToString("x14", CultureInfo.InvariantCulture);
}
