using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Engine.Telemetry;

/// <summary>
/// Merges export requests and splits them into pieces of bounded weight, keeping resource and
/// scope grouping. Pieces share the original Resource, Scope and item objects (no deep copy), so
/// treat the results as immutable like any emitted payload.
/// </summary>
public static class OtlpBatching
{
    /// <summary>One request holding the resources of all <paramref name="requests"/>, in order.</summary>
    public static ExportTraceServiceRequest Merge(IEnumerable<ExportTraceServiceRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var merged = new ExportTraceServiceRequest();
        foreach (var r in requests) merged.ResourceSpans.Add(r.ResourceSpans);
        return merged;
    }

    /// <summary>One request holding the resources of all <paramref name="requests"/>, in order.</summary>
    public static ExportLogsServiceRequest Merge(IEnumerable<ExportLogsServiceRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var merged = new ExportLogsServiceRequest();
        foreach (var r in requests) merged.ResourceLogs.Add(r.ResourceLogs);
        return merged;
    }

    /// <summary>One request holding the resources of all <paramref name="requests"/>, in order.</summary>
    public static ExportMetricsServiceRequest Merge(IEnumerable<ExportMetricsServiceRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var merged = new ExportMetricsServiceRequest();
        foreach (var r in requests) merged.ResourceMetrics.Add(r.ResourceMetrics);
        return merged;
    }

    /// <summary>Splits into requests whose spans weigh at most <paramref name="maxWeight"/> each (a single heavier span goes alone).</summary>
    public static List<ExportTraceServiceRequest> Split(ExportTraceServiceRequest request, long maxWeight, Func<Span, long> weight)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(weight);
        var result = new List<ExportTraceServiceRequest>();
        var current = new ExportTraceServiceRequest();
        long used = 0;
        foreach (var rs in request.ResourceSpans)
        {
            ResourceSpans? outRs = null;
            foreach (var ss in rs.ScopeSpans)
            {
                ScopeSpans? outSs = null;
                foreach (var span in ss.Spans)
                {
                    var w = weight(span);
                    if (used > 0 && used + w > maxWeight)
                    {
                        result.Add(current);
                        current = new ExportTraceServiceRequest();
                        used = 0;
                        outRs = null;
                        outSs = null;
                    }

                    if (outRs is null)
                    {
                        outRs = new ResourceSpans { Resource = rs.Resource, SchemaUrl = rs.SchemaUrl };
                        current.ResourceSpans.Add(outRs);
                    }

                    if (outSs is null)
                    {
                        outSs = new ScopeSpans { Scope = ss.Scope, SchemaUrl = ss.SchemaUrl };
                        outRs.ScopeSpans.Add(outSs);
                    }

                    outSs.Spans.Add(span);
                    used += w;
                }
            }
        }

        if (used > 0)
        {
            result.Add(current);
        }

        return result;
    }

    /// <summary>Splits into requests whose log records weigh at most <paramref name="maxWeight"/> each.</summary>
    public static List<ExportLogsServiceRequest> Split(ExportLogsServiceRequest request, long maxWeight, Func<LogRecord, long> weight)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(weight);
        var result = new List<ExportLogsServiceRequest>();
        var current = new ExportLogsServiceRequest();
        long used = 0;
        foreach (var rl in request.ResourceLogs)
        {
            ResourceLogs? outRl = null;
            foreach (var sl in rl.ScopeLogs)
            {
                ScopeLogs? outSl = null;
                foreach (var log in sl.LogRecords)
                {
                    var w = weight(log);
                    if (used > 0 && used + w > maxWeight)
                    {
                        result.Add(current);
                        current = new ExportLogsServiceRequest();
                        used = 0;
                        outRl = null;
                        outSl = null;
                    }

                    if (outRl is null)
                    {
                        outRl = new ResourceLogs { Resource = rl.Resource, SchemaUrl = rl.SchemaUrl };
                        current.ResourceLogs.Add(outRl);
                    }

                    if (outSl is null)
                    {
                        outSl = new ScopeLogs { Scope = sl.Scope, SchemaUrl = sl.SchemaUrl };
                        outRl.ScopeLogs.Add(outSl);
                    }

                    outSl.LogRecords.Add(log);
                    used += w;
                }
            }
        }

        if (used > 0)
        {
            result.Add(current);
        }

        return result;
    }

    /// <summary>
    /// Splits into requests whose data points weigh at most <paramref name="maxWeight"/> each; a
    /// metric whose points straddle a boundary is copied (name, unit, type) into both pieces.
    /// </summary>
    public static List<ExportMetricsServiceRequest> Split(ExportMetricsServiceRequest request, long maxWeight, Func<Google.Protobuf.IMessage, long> weight)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(weight);
        var result = new List<ExportMetricsServiceRequest>();
        var current = new ExportMetricsServiceRequest();
        long used = 0;
        foreach (var rm in request.ResourceMetrics)
        {
            ResourceMetrics? outRm = null;
            foreach (var sm in rm.ScopeMetrics)
            {
                ScopeMetrics? outSm = null;
                foreach (var metric in sm.Metrics)
                {
                    Metric? outMetric = null;
                    foreach (var point in DataPoints(metric))
                    {
                        var w = weight(point);
                        if (used > 0 && used + w > maxWeight)
                        {
                            result.Add(current);
                            current = new ExportMetricsServiceRequest();
                            used = 0;
                            outRm = null;
                            outSm = null;
                            outMetric = null;
                        }

                        if (outRm is null)
                        {
                            outRm = new ResourceMetrics { Resource = rm.Resource, SchemaUrl = rm.SchemaUrl };
                            current.ResourceMetrics.Add(outRm);
                        }

                        if (outSm is null)
                        {
                            outSm = new ScopeMetrics { Scope = sm.Scope, SchemaUrl = sm.SchemaUrl };
                            outRm.ScopeMetrics.Add(outSm);
                        }

                        if (outMetric is null)
                        {
                            outMetric = EmptyLike(metric);
                            outSm.Metrics.Add(outMetric);
                        }

                        AddPoint(outMetric, point);
                        used += w;
                    }
                }
            }
        }

        if (used > 0)
        {
            result.Add(current);
        }

        return result;
    }

    private static IEnumerable<Google.Protobuf.IMessage> DataPoints(Metric metric) => metric.DataCase switch
    {
        Metric.DataOneofCase.Gauge => metric.Gauge.DataPoints,
        Metric.DataOneofCase.Sum => metric.Sum.DataPoints,
        Metric.DataOneofCase.Histogram => metric.Histogram.DataPoints,
        Metric.DataOneofCase.ExponentialHistogram => metric.ExponentialHistogram.DataPoints,
        Metric.DataOneofCase.Summary => metric.Summary.DataPoints,
        _ => [],
    };

    private static Metric EmptyLike(Metric metric)
    {
        var copy = new Metric { Name = metric.Name, Description = metric.Description, Unit = metric.Unit };
        copy.Metadata.Add(metric.Metadata);
        switch (metric.DataCase)
        {
            case Metric.DataOneofCase.Gauge: copy.Gauge = new Gauge(); break;
            case Metric.DataOneofCase.Sum: copy.Sum = new Sum { AggregationTemporality = metric.Sum.AggregationTemporality, IsMonotonic = metric.Sum.IsMonotonic }; break;
            case Metric.DataOneofCase.Histogram: copy.Histogram = new Histogram { AggregationTemporality = metric.Histogram.AggregationTemporality }; break;
            case Metric.DataOneofCase.ExponentialHistogram: copy.ExponentialHistogram = new ExponentialHistogram { AggregationTemporality = metric.ExponentialHistogram.AggregationTemporality }; break;
            case Metric.DataOneofCase.Summary: copy.Summary = new Summary(); break;
        }

        return copy;
    }

    private static void AddPoint(Metric metric, Google.Protobuf.IMessage point)
    {
        switch (point)
        {
            case NumberDataPoint n when metric.DataCase == Metric.DataOneofCase.Gauge: metric.Gauge.DataPoints.Add(n); break;
            case NumberDataPoint n: metric.Sum.DataPoints.Add(n); break;
            case HistogramDataPoint h: metric.Histogram.DataPoints.Add(h); break;
            case ExponentialHistogramDataPoint e: metric.ExponentialHistogram.DataPoints.Add(e); break;
            case SummaryDataPoint s: metric.Summary.DataPoints.Add(s); break;
        }
    }
}
