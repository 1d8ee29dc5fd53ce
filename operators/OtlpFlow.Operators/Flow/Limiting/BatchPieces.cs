using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>Cuts a request in two: a head of at most a given weight, and the rest.</summary>
internal static class BatchPieces
{
    /// <summary>
    /// The head weighs at most <paramref name="maxWeight"/> (items, or encoded bytes of the items when
    /// <paramref name="bytes"/>), unless its first item alone is heavier; the rest is null when
    /// everything fits.
    /// </summary>
    public static (IMessage Head, IMessage? Remainder) Cut(IMessage payload, long maxWeight, bool bytes)
    {
        maxWeight = Math.Max(1, maxWeight);
        switch (payload)
        {
            case ExportTraceServiceRequest t:
                var traces = OtlpBatching.Split(t, maxWeight, s => bytes ? s.CalculateSize() : 1);
                return traces.Count <= 1 ? (payload, null) : (traces[0], OtlpBatching.Merge(traces.Skip(1)));
            case ExportLogsServiceRequest l:
                var logs = OtlpBatching.Split(l, maxWeight, r => bytes ? r.CalculateSize() : 1);
                return logs.Count <= 1 ? (payload, null) : (logs[0], OtlpBatching.Merge(logs.Skip(1)));
            case ExportMetricsServiceRequest m:
                var metrics = OtlpBatching.Split(m, maxWeight, p => bytes ? p.CalculateSize() : 1);
                return metrics.Count <= 1 ? (payload, null) : (metrics[0], OtlpBatching.Merge(metrics.Skip(1)));
            default:
                return (payload, null);
        }
    }
}
