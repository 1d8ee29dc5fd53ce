using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Coordination.Tests.Routing;

/// <summary>Batches of spans of distinct traces, so that a consistent-hash ring spreads each batch over its members.</summary>
internal static class DistinctTraceBatches
{
    /// <summary>Spans in each batch.</summary>
    public const int SpansPerBatch = 50;

    /// <summary>Batch <paramref name="index"/>: trace ids <c>index * SpansPerBatch</c> and on, one span each.</summary>
    public static TelemetryBatch Batch(int index)
    {
        var scope = new ScopeSpans();
        for (var i = 0; i < SpansPerBatch; i++)
        {
            var traceId = new byte[16];
            BitConverter.TryWriteBytes(traceId, (index * SpansPerBatch) + i);
            scope.Spans.Add(new Span { TraceId = ByteString.CopyFrom(traceId), SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)i + 1)), Name = "op" });
        }

        return TelemetryBatch.Create(new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { scope } } } });
    }
}
