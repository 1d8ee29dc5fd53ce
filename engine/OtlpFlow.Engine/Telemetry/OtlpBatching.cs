using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Engine.Telemetry;

/// <summary>
/// Merges export requests, splits them into pieces of bounded weight, and selects items from them,
/// keeping resource and scope grouping. Pieces share the original Resource, Scope and item objects (no deep copy), so
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

    /// <summary>
    /// A request holding only the spans whose decision equals <paramref name="keep"/> (one decision per
    /// span, in order), grouped as in <paramref name="request"/>: new resource and scope entries around
    /// the same span objects. Empty scopes and resources are left out.
    /// </summary>
    public static ExportTraceServiceRequest Select<T>(ExportTraceServiceRequest request, ReadOnlySpan<T> decisions, T keep)
        where T : IEquatable<T>
    {
        var result = new ExportTraceServiceRequest();
        var item = 0;
        for (var r = 0; r < request.ResourceSpans.Count; r++)
        {
            var resourceSpans = request.ResourceSpans[r];
            ResourceSpans? keptResource = null;
            for (var s = 0; s < resourceSpans.ScopeSpans.Count; s++)
            {
                var scopeSpans = resourceSpans.ScopeSpans[s];
                ScopeSpans? keptScope = null;
                for (var i = 0; i < scopeSpans.Spans.Count; i++)
                {
                    if (decisions[item++].Equals(keep))
                    {
                        keptScope ??= new ScopeSpans { Scope = scopeSpans.Scope, SchemaUrl = scopeSpans.SchemaUrl };
                        keptScope.Spans.Add(scopeSpans.Spans[i]);
                    }
                }

                if (keptScope is not null)
                {
                    keptResource ??= new ResourceSpans { Resource = resourceSpans.Resource, SchemaUrl = resourceSpans.SchemaUrl };
                    keptResource.ScopeSpans.Add(keptScope);
                }
            }

            if (keptResource is not null)
            {
                result.ResourceSpans.Add(keptResource);
            }
        }

        return result;
    }

    /// <summary>A request holding only the log records whose decision equals <paramref name="keep"/>.</summary>
    public static ExportLogsServiceRequest Select<T>(ExportLogsServiceRequest request, ReadOnlySpan<T> decisions, T keep)
        where T : IEquatable<T>
    {
        var result = new ExportLogsServiceRequest();
        var item = 0;
        for (var r = 0; r < request.ResourceLogs.Count; r++)
        {
            var resourceLogs = request.ResourceLogs[r];
            ResourceLogs? keptResource = null;
            for (var s = 0; s < resourceLogs.ScopeLogs.Count; s++)
            {
                var scopeLogs = resourceLogs.ScopeLogs[s];
                ScopeLogs? keptScope = null;
                for (var i = 0; i < scopeLogs.LogRecords.Count; i++)
                {
                    if (decisions[item++].Equals(keep))
                    {
                        keptScope ??= new ScopeLogs { Scope = scopeLogs.Scope, SchemaUrl = scopeLogs.SchemaUrl };
                        keptScope.LogRecords.Add(scopeLogs.LogRecords[i]);
                    }
                }

                if (keptScope is not null)
                {
                    keptResource ??= new ResourceLogs { Resource = resourceLogs.Resource, SchemaUrl = resourceLogs.SchemaUrl };
                    keptResource.ScopeLogs.Add(keptScope);
                }
            }

            if (keptResource is not null)
            {
                result.ResourceLogs.Add(keptResource);
            }
        }

        return result;
    }

    /// <summary>A request holding only the data points whose decision equals <paramref name="keep"/> (one per point); metrics left without points are left out.</summary>
    public static ExportMetricsServiceRequest Select<T>(ExportMetricsServiceRequest request, ReadOnlySpan<T> decisions, T keep)
        where T : IEquatable<T>
    {
        var result = new ExportMetricsServiceRequest();
        var item = 0;
        for (var r = 0; r < request.ResourceMetrics.Count; r++)
        {
            var resourceMetrics = request.ResourceMetrics[r];
            ResourceMetrics? keptResource = null;
            for (var s = 0; s < resourceMetrics.ScopeMetrics.Count; s++)
            {
                var scopeMetrics = resourceMetrics.ScopeMetrics[s];
                ScopeMetrics? keptScope = null;
                for (var m = 0; m < scopeMetrics.Metrics.Count; m++)
                {
                    var keptMetric = KeepPoints(scopeMetrics.Metrics[m], decisions, keep, ref item);
                    if (keptMetric is not null)
                    {
                        keptScope ??= new ScopeMetrics { Scope = scopeMetrics.Scope, SchemaUrl = scopeMetrics.SchemaUrl };
                        keptScope.Metrics.Add(keptMetric);
                    }
                }

                if (keptScope is not null)
                {
                    keptResource ??= new ResourceMetrics { Resource = resourceMetrics.Resource, SchemaUrl = resourceMetrics.SchemaUrl };
                    keptResource.ScopeMetrics.Add(keptScope);
                }
            }

            if (keptResource is not null)
            {
                result.ResourceMetrics.Add(keptResource);
            }
        }

        return result;
    }

    /// <summary>
    /// The metric with only its kept points: the metric itself when all are kept, null when none
    /// is, otherwise a new metric of the same type and settings around the same point objects.
    /// </summary>
    private static Metric? KeepPoints<T>(Metric metric, ReadOnlySpan<T> decisions, T keep, ref int item)
        where T : IEquatable<T>
    {
        var count = OtlpItems.DataPoints(metric);
        var keptCount = 0;
        for (var p = 0; p < count; p++)
        {
            if (decisions[item + p].Equals(keep))
            {
                keptCount++;
            }
        }

        var first = item;
        item += count;
        if (keptCount == count)
        {
            // Nothing to remove: the new request may refer to the input's metric, which is never changed.
            return count == 0 ? null : metric;
        }

        if (keptCount == 0)
        {
            return null;
        }

        var kept = EmptyLike(metric);
        switch (metric.DataCase)
        {
            case Metric.DataOneofCase.Gauge: AddKept(metric.Gauge.DataPoints, kept.Gauge.DataPoints, decisions, keep, first); break;
            case Metric.DataOneofCase.Sum: AddKept(metric.Sum.DataPoints, kept.Sum.DataPoints, decisions, keep, first); break;
            case Metric.DataOneofCase.Histogram: AddKept(metric.Histogram.DataPoints, kept.Histogram.DataPoints, decisions, keep, first); break;
            case Metric.DataOneofCase.ExponentialHistogram: AddKept(metric.ExponentialHistogram.DataPoints, kept.ExponentialHistogram.DataPoints, decisions, keep, first); break;
            case Metric.DataOneofCase.Summary: AddKept(metric.Summary.DataPoints, kept.Summary.DataPoints, decisions, keep, first); break;
        }

        return kept;
    }

    private static void AddKept<TPoint, T>(RepeatedField<TPoint> from, RepeatedField<TPoint> to, ReadOnlySpan<T> decisions, T keep, int first)
        where T : IEquatable<T>
    {
        for (var p = 0; p < from.Count; p++)
        {
            if (decisions[first + p].Equals(keep))
            {
                to.Add(from[p]);
            }
        }
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
