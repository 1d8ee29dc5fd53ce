using System.Globalization;
using System.Text;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Telemetry;
using static OtlpFlow.Operators.Debugging.DebugText;

namespace OtlpFlow.Operators.Debugging;

/// <summary>Turns a batch into the text the <c>debug</c> sink prints, every line ending in a newline.</summary>
internal static class DebugFormatter
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Format(TelemetryBatch batch, DebugVerbosity verbosity, string operatorId)
    {
        var text = new StringBuilder(verbosity == DebugVerbosity.Basic ? 128 : 4096);
        switch (batch.Payload)
        {
            case ExportTraceServiceRequest traces:
                text.Append(Invariant, $"[{operatorId}] traces: {traces.ResourceSpans.Count} resources, {batch.ItemCount} spans, {batch.SizeBytes} bytes\n");
                if (verbosity == DebugVerbosity.Normal)
                {
                    SpanLines(text, traces);
                }
                else if (verbosity == DebugVerbosity.Detailed)
                {
                    SpanDetails(text, traces);
                }

                break;
            case ExportMetricsServiceRequest metrics:
                text.Append(Invariant, $"[{operatorId}] metrics: {metrics.ResourceMetrics.Count} resources, {MetricCount(metrics)} metrics, {batch.ItemCount} data points, {batch.SizeBytes} bytes\n");
                if (verbosity == DebugVerbosity.Normal)
                {
                    MetricLines(text, metrics);
                }
                else if (verbosity == DebugVerbosity.Detailed)
                {
                    MetricDetails(text, metrics);
                }

                break;
            case ExportLogsServiceRequest logs:
                text.Append(Invariant, $"[{operatorId}] logs: {logs.ResourceLogs.Count} resources, {batch.ItemCount} log records, {batch.SizeBytes} bytes\n");
                if (verbosity == DebugVerbosity.Normal)
                {
                    LogLines(text, logs);
                }
                else if (verbosity == DebugVerbosity.Detailed)
                {
                    LogDetails(text, logs);
                }

                break;
        }

        return text.ToString();
    }

    private static int MetricCount(ExportMetricsServiceRequest request)
    {
        var count = 0;
        foreach (var resource in request.ResourceMetrics)
        {
            foreach (var scope in resource.ScopeMetrics)
            {
                count += scope.Metrics.Count;
            }
        }

        return count;
    }

    // ---- normal: one line per item ----

    private static void SpanLines(StringBuilder text, ExportTraceServiceRequest request)
    {
        foreach (var resource in request.ResourceSpans)
        {
            var service = ServiceName(resource.Resource);
            foreach (var scope in resource.ScopeSpans)
            {
                foreach (var span in scope.Spans)
                {
                    text.Append("  span trace=").Append(Hex(span.TraceId))
                        .Append(" id=").Append(Hex(span.SpanId))
                        .Append(" parent=").Append(Hex(span.ParentSpanId))
                        .Append(" name=");
                    AppendQuoted(text, span.Name);
                    text.Append(" kind=").Append(span.Kind.ToString()).Append(" duration=");
                    AppendDuration(text, span.StartTimeUnixNano, span.EndTimeUnixNano);
                    text.Append(" status=");
                    AppendStatus(text, span.Status);
                    text.Append(" service=").Append(service).Append('\n');
                }
            }
        }
    }

    private static void LogLines(StringBuilder text, ExportLogsServiceRequest request)
    {
        foreach (var resource in request.ResourceLogs)
        {
            var service = ServiceName(resource.Resource);
            foreach (var scope in resource.ScopeLogs)
            {
                foreach (var record in scope.LogRecords)
                {
                    text.Append("  log time=");
                    AppendTime(text, record.TimeUnixNano != 0 ? record.TimeUnixNano : record.ObservedTimeUnixNano);
                    text.Append(" severity=").Append(Severity(record)).Append(" body=");
                    AppendValue(text, record.Body);
                    if (!record.TraceId.IsEmpty)
                    {
                        text.Append(" trace=").Append(Hex(record.TraceId)).Append(" span=").Append(Hex(record.SpanId));
                    }

                    text.Append(" service=").Append(service).Append('\n');
                }
            }
        }
    }

    private static void MetricLines(StringBuilder text, ExportMetricsServiceRequest request)
    {
        foreach (var resource in request.ResourceMetrics)
        {
            var service = ServiceName(resource.Resource);
            foreach (var scope in resource.ScopeMetrics)
            {
                foreach (var metric in scope.Metrics)
                {
                    var type = MetricType(metric);
                    switch (metric.DataCase)
                    {
                        case Metric.DataOneofCase.Gauge:
                            NumberLines(text, metric.Name, type, metric.Gauge.DataPoints, service);
                            break;
                        case Metric.DataOneofCase.Sum:
                            NumberLines(text, metric.Name, type, metric.Sum.DataPoints, service);
                            break;
                        case Metric.DataOneofCase.Histogram:
                            foreach (var point in metric.Histogram.DataPoints)
                            {
                                PointLine(text, metric.Name, type, point.Attributes, service, $"count={point.Count} sum={(point.HasSum ? point.Sum.ToString("R", Invariant) : "-")}");
                            }

                            break;
                        case Metric.DataOneofCase.ExponentialHistogram:
                            foreach (var point in metric.ExponentialHistogram.DataPoints)
                            {
                                PointLine(text, metric.Name, type, point.Attributes, service, $"count={point.Count} sum={(point.HasSum ? point.Sum.ToString("R", Invariant) : "-")} scale={point.Scale}");
                            }

                            break;
                        case Metric.DataOneofCase.Summary:
                            foreach (var point in metric.Summary.DataPoints)
                            {
                                PointLine(text, metric.Name, type, point.Attributes, service, $"count={point.Count} sum={point.Sum.ToString("R", Invariant)}");
                            }

                            break;
                    }
                }
            }
        }
    }

    private static void NumberLines(StringBuilder text, string name, string type, Google.Protobuf.Collections.RepeatedField<NumberDataPoint> points, string service)
    {
        foreach (var point in points)
        {
            PointLine(text, name, type, point.Attributes, service, "value=" + NumberValue(point));
        }
    }

    private static void PointLine(StringBuilder text, string name, string type, Google.Protobuf.Collections.RepeatedField<KeyValue> attributes, string service, string value)
    {
        text.Append("  metric name=").Append(name).Append(" type=").Append(type).Append(' ').Append(value).Append(" attributes=");
        AppendInline(text, attributes);
        text.Append(" service=").Append(service).Append('\n');
    }

    // ---- detailed: every field ----

    private static void SpanDetails(StringBuilder text, ExportTraceServiceRequest request)
    {
        for (var r = 0; r < request.ResourceSpans.Count; r++)
        {
            var resource = request.ResourceSpans[r];
            ResourceHeader(text, "ResourceSpans", r, resource.SchemaUrl, resource.Resource);
            for (var s = 0; s < resource.ScopeSpans.Count; s++)
            {
                var scope = resource.ScopeSpans[s];
                ScopeHeader(text, "ScopeSpans", s, scope.SchemaUrl, scope.Scope);
                for (var i = 0; i < scope.Spans.Count; i++)
                {
                    SpanDetail(text, i, scope.Spans[i]);
                }
            }
        }
    }

    private static void SpanDetail(StringBuilder text, int index, Span span)
    {
        text.Append(Invariant, $"    Span #{index}\n");
        text.Append("      Trace ID: ").Append(Hex(span.TraceId)).Append('\n');
        text.Append("      Span ID: ").Append(Hex(span.SpanId)).Append('\n');
        text.Append("      Parent ID: ").Append(Hex(span.ParentSpanId)).Append('\n');
        text.Append("      Name: ");
        AppendQuoted(text, span.Name);
        text.Append("\n      Kind: ").Append(span.Kind.ToString()).Append('\n');
        if (span.TraceState.Length > 0)
        {
            text.Append("      Trace state: ").Append(span.TraceState).Append('\n');
        }

        text.Append(Invariant, $"      Flags: 0x{span.Flags:x8}\n");
        text.Append("      Start: ");
        AppendTime(text, span.StartTimeUnixNano);
        text.Append("\n      End: ");
        AppendTime(text, span.EndTimeUnixNano);
        text.Append("\n      Duration: ");
        AppendDuration(text, span.StartTimeUnixNano, span.EndTimeUnixNano);
        text.Append("\n      Status: ");
        AppendStatus(text, span.Status);
        text.Append('\n');
        AppendBlock(text, 6, "Attributes", span.Attributes);
        Dropped(text, 6, "attributes", span.DroppedAttributesCount);
        if (span.Events.Count > 0)
        {
            text.Append("      Events:\n");
            for (var e = 0; e < span.Events.Count; e++)
            {
                var evt = span.Events[e];
                text.Append(Invariant, $"        Event #{e}: ");
                AppendQuoted(text, evt.Name);
                text.Append(" at ");
                AppendTime(text, evt.TimeUnixNano);
                text.Append('\n');
                AppendBlock(text, 10, "Attributes", evt.Attributes);
                Dropped(text, 10, "attributes", evt.DroppedAttributesCount);
            }
        }

        Dropped(text, 6, "events", span.DroppedEventsCount);
        if (span.Links.Count > 0)
        {
            text.Append("      Links:\n");
            for (var l = 0; l < span.Links.Count; l++)
            {
                var link = span.Links[l];
                text.Append(Invariant, $"        Link #{l}: trace=").Append(Hex(link.TraceId)).Append(" span=").Append(Hex(link.SpanId))
                    .Append(Invariant, $" flags=0x{link.Flags:x8}");
                if (link.TraceState.Length > 0)
                {
                    text.Append(" trace state=").Append(link.TraceState);
                }

                text.Append('\n');
                AppendBlock(text, 10, "Attributes", link.Attributes);
                Dropped(text, 10, "attributes", link.DroppedAttributesCount);
            }
        }

        Dropped(text, 6, "links", span.DroppedLinksCount);
    }

    private static void LogDetails(StringBuilder text, ExportLogsServiceRequest request)
    {
        for (var r = 0; r < request.ResourceLogs.Count; r++)
        {
            var resource = request.ResourceLogs[r];
            ResourceHeader(text, "ResourceLogs", r, resource.SchemaUrl, resource.Resource);
            for (var s = 0; s < resource.ScopeLogs.Count; s++)
            {
                var scope = resource.ScopeLogs[s];
                ScopeHeader(text, "ScopeLogs", s, scope.SchemaUrl, scope.Scope);
                for (var i = 0; i < scope.LogRecords.Count; i++)
                {
                    var record = scope.LogRecords[i];
                    text.Append(Invariant, $"    LogRecord #{i}\n");
                    text.Append("      Time: ");
                    AppendTime(text, record.TimeUnixNano);
                    text.Append("\n      Observed time: ");
                    AppendTime(text, record.ObservedTimeUnixNano);
                    text.Append(Invariant, $"\n      Severity: {Severity(record)} ({(int)record.SeverityNumber})\n");
                    if (record.EventName.Length > 0)
                    {
                        text.Append("      Event name: ").Append(record.EventName).Append('\n');
                    }

                    text.Append("      Body: ");
                    AppendValue(text, record.Body);
                    text.Append("\n      Trace ID: ").Append(Hex(record.TraceId)).Append('\n');
                    text.Append("      Span ID: ").Append(Hex(record.SpanId)).Append('\n');
                    text.Append(Invariant, $"      Flags: 0x{record.Flags:x8}\n");
                    AppendBlock(text, 6, "Attributes", record.Attributes);
                    Dropped(text, 6, "attributes", record.DroppedAttributesCount);
                }
            }
        }
    }

    private static void MetricDetails(StringBuilder text, ExportMetricsServiceRequest request)
    {
        for (var r = 0; r < request.ResourceMetrics.Count; r++)
        {
            var resource = request.ResourceMetrics[r];
            ResourceHeader(text, "ResourceMetrics", r, resource.SchemaUrl, resource.Resource);
            for (var s = 0; s < resource.ScopeMetrics.Count; s++)
            {
                var scope = resource.ScopeMetrics[s];
                ScopeHeader(text, "ScopeMetrics", s, scope.SchemaUrl, scope.Scope);
                for (var m = 0; m < scope.Metrics.Count; m++)
                {
                    MetricDetail(text, m, scope.Metrics[m]);
                }
            }
        }
    }

    private static void MetricDetail(StringBuilder text, int index, Metric metric)
    {
        text.Append(Invariant, $"    Metric #{index}\n");
        text.Append("      Name: ").Append(metric.Name).Append('\n');
        if (metric.Description.Length > 0)
        {
            text.Append("      Description: ").Append(metric.Description).Append('\n');
        }

        if (metric.Unit.Length > 0)
        {
            text.Append("      Unit: ").Append(metric.Unit).Append('\n');
        }

        text.Append("      Type: ").Append(MetricType(metric)).Append('\n');
        AppendBlock(text, 6, "Metadata", metric.Metadata);
        switch (metric.DataCase)
        {
            case Metric.DataOneofCase.Gauge:
                for (var i = 0; i < metric.Gauge.DataPoints.Count; i++)
                {
                    NumberDetail(text, i, metric.Gauge.DataPoints[i]);
                }

                break;
            case Metric.DataOneofCase.Sum:
                text.Append(Invariant, $"      Temporality: {metric.Sum.AggregationTemporality}\n      Monotonic: {(metric.Sum.IsMonotonic ? "true" : "false")}\n");
                for (var i = 0; i < metric.Sum.DataPoints.Count; i++)
                {
                    NumberDetail(text, i, metric.Sum.DataPoints[i]);
                }

                break;
            case Metric.DataOneofCase.Histogram:
                text.Append(Invariant, $"      Temporality: {metric.Histogram.AggregationTemporality}\n");
                for (var i = 0; i < metric.Histogram.DataPoints.Count; i++)
                {
                    HistogramDetail(text, i, metric.Histogram.DataPoints[i]);
                }

                break;
            case Metric.DataOneofCase.ExponentialHistogram:
                text.Append(Invariant, $"      Temporality: {metric.ExponentialHistogram.AggregationTemporality}\n");
                for (var i = 0; i < metric.ExponentialHistogram.DataPoints.Count; i++)
                {
                    ExponentialDetail(text, i, metric.ExponentialHistogram.DataPoints[i]);
                }

                break;
            case Metric.DataOneofCase.Summary:
                for (var i = 0; i < metric.Summary.DataPoints.Count; i++)
                {
                    SummaryDetail(text, i, metric.Summary.DataPoints[i]);
                }

                break;
        }
    }

    private static void PointHeader(StringBuilder text, int index, Google.Protobuf.Collections.RepeatedField<KeyValue> attributes, ulong start, ulong time, uint flags)
    {
        text.Append(Invariant, $"      DataPoint #{index}\n");
        AppendBlock(text, 8, "Attributes", attributes);
        text.Append("        Start: ");
        AppendTime(text, start);
        text.Append("\n        Time: ");
        AppendTime(text, time);
        text.Append('\n');
        if (flags != 0)
        {
            text.Append(Invariant, $"        Flags: 0x{flags:x8}\n");
        }
    }

    private static void NumberDetail(StringBuilder text, int index, NumberDataPoint point)
    {
        PointHeader(text, index, point.Attributes, point.StartTimeUnixNano, point.TimeUnixNano, point.Flags);
        text.Append("        Value: ").Append(NumberValue(point)).Append('\n');
        Exemplars(text, point.Exemplars);
    }

    private static void HistogramDetail(StringBuilder text, int index, HistogramDataPoint point)
    {
        PointHeader(text, index, point.Attributes, point.StartTimeUnixNano, point.TimeUnixNano, point.Flags);
        text.Append(Invariant, $"        Count: {point.Count}\n");
        OptionalNumber(text, "Sum", point.HasSum, point.Sum);
        OptionalNumber(text, "Min", point.HasMin, point.Min);
        OptionalNumber(text, "Max", point.HasMax, point.Max);
        text.Append("        Explicit bounds: ").Append(string.Join(", ", point.ExplicitBounds.Select(b => b.ToString("R", Invariant)))).Append('\n');
        text.Append("        Bucket counts: ").Append(string.Join(", ", point.BucketCounts.Select(c => c.ToString(Invariant)))).Append('\n');
        Exemplars(text, point.Exemplars);
    }

    private static void ExponentialDetail(StringBuilder text, int index, ExponentialHistogramDataPoint point)
    {
        PointHeader(text, index, point.Attributes, point.StartTimeUnixNano, point.TimeUnixNano, point.Flags);
        text.Append(Invariant, $"        Count: {point.Count}\n");
        OptionalNumber(text, "Sum", point.HasSum, point.Sum);
        OptionalNumber(text, "Min", point.HasMin, point.Min);
        OptionalNumber(text, "Max", point.HasMax, point.Max);
        text.Append(Invariant, $"        Scale: {point.Scale}\n        Zero count: {point.ZeroCount}\n");
        text.Append("        Zero threshold: ").Append(point.ZeroThreshold.ToString("R", Invariant)).Append('\n');
        Buckets(text, "Positive", point.Positive);
        Buckets(text, "Negative", point.Negative);
        Exemplars(text, point.Exemplars);
    }

    private static void SummaryDetail(StringBuilder text, int index, SummaryDataPoint point)
    {
        PointHeader(text, index, point.Attributes, point.StartTimeUnixNano, point.TimeUnixNano, point.Flags);
        text.Append(Invariant, $"        Count: {point.Count}\n");
        text.Append("        Sum: ").Append(point.Sum.ToString("R", Invariant)).Append('\n');
        foreach (var quantile in point.QuantileValues)
        {
            text.Append("        Quantile ").Append(quantile.Quantile.ToString("R", Invariant)).Append(": ").Append(quantile.Value.ToString("R", Invariant)).Append('\n');
        }
    }

    private static void Buckets(StringBuilder text, string side, ExponentialHistogramDataPoint.Types.Buckets? buckets)
    {
        if (buckets is null || buckets.BucketCounts.Count == 0)
        {
            return;
        }

        text.Append(Invariant, $"        {side} buckets: offset {buckets.Offset}, counts ")
            .Append(string.Join(", ", buckets.BucketCounts.Select(c => c.ToString(Invariant)))).Append('\n');
    }

    private static void Exemplars(StringBuilder text, Google.Protobuf.Collections.RepeatedField<Exemplar> exemplars)
    {
        for (var i = 0; i < exemplars.Count; i++)
        {
            var exemplar = exemplars[i];
            text.Append(Invariant, $"        Exemplar #{i}: value=");
            text.Append(exemplar.ValueCase == Exemplar.ValueOneofCase.AsInt ? exemplar.AsInt.ToString(Invariant) : exemplar.AsDouble.ToString("R", Invariant));
            text.Append(" time=");
            AppendTime(text, exemplar.TimeUnixNano);
            text.Append(" trace=").Append(Hex(exemplar.TraceId)).Append(" span=").Append(Hex(exemplar.SpanId)).Append('\n');
            AppendBlock(text, 10, "Filtered attributes", exemplar.FilteredAttributes);
        }
    }

    // ---- shared pieces ----

    private static void ResourceHeader(StringBuilder text, string kind, int index, string schemaUrl, OpenTelemetry.Proto.Resource.V1.Resource? resource)
    {
        text.Append(Invariant, $"{kind} #{index}\n");
        if (schemaUrl.Length > 0)
        {
            text.Append("  Schema URL: ").Append(schemaUrl).Append('\n');
        }

        if (resource is not null)
        {
            AppendBlock(text, 2, "Resource attributes", resource.Attributes);
            Dropped(text, 2, "attributes", resource.DroppedAttributesCount);
        }
    }

    private static void ScopeHeader(StringBuilder text, string kind, int index, string schemaUrl, InstrumentationScope? scope)
    {
        text.Append(Invariant, $"  {kind} #{index}\n");
        if (schemaUrl.Length > 0)
        {
            text.Append("    Schema URL: ").Append(schemaUrl).Append('\n');
        }

        if (scope is not null)
        {
            text.Append("    Scope: ").Append(scope.Name);
            if (scope.Version.Length > 0)
            {
                text.Append(' ').Append(scope.Version);
            }

            text.Append('\n');
            AppendBlock(text, 4, "Scope attributes", scope.Attributes);
            Dropped(text, 4, "attributes", scope.DroppedAttributesCount);
        }
    }

    private static void Dropped(StringBuilder text, int indent, string what, uint count)
    {
        if (count > 0)
        {
            text.Append(' ', indent).Append(Invariant, $"Dropped {what}: {count}\n");
        }
    }

    private static void OptionalNumber(StringBuilder text, string name, bool present, double value)
    {
        if (present)
        {
            text.Append("        ").Append(name).Append(": ").Append(value.ToString("R", Invariant)).Append('\n');
        }
    }

    private static void AppendStatus(StringBuilder text, Status? status)
    {
        var code = status?.Code ?? Status.Types.StatusCode.Unset;
        text.Append(code.ToString());
        if (!string.IsNullOrEmpty(status?.Message))
        {
            text.Append('(');
            AppendQuoted(text, status.Message);
            text.Append(')');
        }
    }

    private static string Severity(LogRecord record) =>
        record.SeverityText.Length > 0 ? record.SeverityText : record.SeverityNumber.ToString();

    private static string NumberValue(NumberDataPoint point) => point.ValueCase switch
    {
        NumberDataPoint.ValueOneofCase.AsInt => point.AsInt.ToString(Invariant),
        NumberDataPoint.ValueOneofCase.AsDouble => point.AsDouble.ToString("R", Invariant),
        _ => "-",
    };

    private static string MetricType(Metric metric) => metric.DataCase switch
    {
        Metric.DataOneofCase.Gauge => "Gauge",
        Metric.DataOneofCase.Sum => "Sum",
        Metric.DataOneofCase.Histogram => "Histogram",
        Metric.DataOneofCase.ExponentialHistogram => "ExponentialHistogram",
        Metric.DataOneofCase.Summary => "Summary",
        _ => "Empty",
    };
}
