using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Conditions;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Routing;

/// <summary>
/// Splits a request item by item into one request per destination, keeping the resource and
/// scope grouping (new containers around the same item objects; the input is never changed).
/// </summary>
internal static class BatchSplit
{
    /// <summary>The number of items in a request of any signal.</summary>
    public static int CountItems(IMessage payload) => payload switch
    {
        ExportTraceServiceRequest t => OtlpItems.Count(t),
        ExportLogsServiceRequest l => OtlpItems.Count(l),
        ExportMetricsServiceRequest m => OtlpItems.Count(m),
        _ => throw new ArgumentException($"'{payload?.GetType().Name}' is not an OTLP export request.", nameof(payload)),
    };

    /// <summary>Fills <paramref name="decisions"/> with one destination per item, in order. Returns the number of items.</summary>
    public static int Decide(IMessage payload, ItemDecider decider, Span<int> decisions)
    {
        ArgumentNullException.ThrowIfNull(decider);
        var n = 0;
        switch (payload)
        {
            case ExportTraceServiceRequest traces:
                for (var r = 0; r < traces.ResourceSpans.Count; r++)
                {
                    var rs = traces.ResourceSpans[r];
                    for (var s = 0; s < rs.ScopeSpans.Count; s++)
                    {
                        var ss = rs.ScopeSpans[s];
                        for (var i = 0; i < ss.Spans.Count; i++)
                        {
                            var d = decider.Decide(rs.Resource, ss.Scope, ss.Spans[i]);
                            decisions[n++] = d;
                        }
                    }
                }

                break;
            case ExportLogsServiceRequest logs:
                for (var r = 0; r < logs.ResourceLogs.Count; r++)
                {
                    var rl = logs.ResourceLogs[r];
                    for (var s = 0; s < rl.ScopeLogs.Count; s++)
                    {
                        var sl = rl.ScopeLogs[s];
                        for (var i = 0; i < sl.LogRecords.Count; i++)
                        {
                            var d = decider.Decide(rl.Resource, sl.Scope, sl.LogRecords[i]);
                            decisions[n++] = d;
                        }
                    }
                }

                break;
            case ExportMetricsServiceRequest metrics:
                for (var r = 0; r < metrics.ResourceMetrics.Count; r++)
                {
                    var rm = metrics.ResourceMetrics[r];
                    for (var s = 0; s < rm.ScopeMetrics.Count; s++)
                    {
                        var sm = rm.ScopeMetrics[s];
                        for (var m = 0; m < sm.Metrics.Count; m++)
                        {
                            var metric = sm.Metrics[m];
                            var points = DataPointView.Count(metric);
                            for (var p = 0; p < points; p++)
                            {
                                var d = decider.Decide(rm.Resource, sm.Scope, metric, DataPointView.At(metric, p));
                                decisions[n++] = d;
                            }
                        }
                    }
                }

                break;
            default:
                throw new ArgumentException($"'{payload?.GetType().Name}' is not an OTLP export request.", nameof(payload));
        }

        return n;
    }

    /// <summary>The request of the items whose decision is <paramref name="destination"/>.</summary>
    public static IMessage Select(IMessage payload, ReadOnlySpan<int> decisions, int destination) => payload switch
    {
        ExportTraceServiceRequest t => OtlpBatching.Select(t, decisions, destination),
        ExportLogsServiceRequest l => OtlpBatching.Select(l, decisions, destination),
        ExportMetricsServiceRequest m => OtlpBatching.Select(m, decisions, destination),
        _ => throw new ArgumentException($"'{payload?.GetType().Name}' is not an OTLP export request.", nameof(payload)),
    };
}
