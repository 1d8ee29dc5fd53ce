using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Metrics.V1;

namespace OtlpFlow.Engine.Telemetry;

/// <summary>Counts the items of OTLP requests: spans, data points and log records.</summary>
public static class OtlpItems
{
    /// <summary>Spans in a trace request.</summary>
    public static int Count(ExportTraceServiceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var count = 0;
        foreach (var rs in request.ResourceSpans)
        {
            foreach (var ss in rs.ScopeSpans)
            {
                count += ss.Spans.Count;
            }
        }

        return count;
    }

    /// <summary>Log records in a logs request.</summary>
    public static int Count(ExportLogsServiceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var count = 0;
        foreach (var rl in request.ResourceLogs)
        {
            foreach (var sl in rl.ScopeLogs)
            {
                count += sl.LogRecords.Count;
            }
        }

        return count;
    }

    /// <summary>Data points in a metrics request (the unit the Collector counts metrics in).</summary>
    public static int Count(ExportMetricsServiceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var count = 0;
        foreach (var rm in request.ResourceMetrics)
        {
            foreach (var sm in rm.ScopeMetrics)
            {
                foreach (var metric in sm.Metrics)
                {
                    count += DataPoints(metric);
                }
            }
        }

        return count;
    }

    /// <summary>Data points of one metric, whatever its type.</summary>
    public static int DataPoints(Metric metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        return metric.DataCase switch
        {
            Metric.DataOneofCase.Gauge => metric.Gauge.DataPoints.Count,
            Metric.DataOneofCase.Sum => metric.Sum.DataPoints.Count,
            Metric.DataOneofCase.Histogram => metric.Histogram.DataPoints.Count,
            Metric.DataOneofCase.ExponentialHistogram => metric.ExponentialHistogram.DataPoints.Count,
            Metric.DataOneofCase.Summary => metric.Summary.DataPoints.Count,
            _ => 0,
        };
    }
}
