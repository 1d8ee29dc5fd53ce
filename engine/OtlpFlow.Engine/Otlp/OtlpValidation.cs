using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Metrics.V1;

namespace OtlpFlow.Engine.Otlp;

/// <summary>
/// What every decode path checks beyond the wire format, so that OTLP/protobuf refuses what
/// OTLP/JSON refuses: trace ids are empty or 16 bytes, span ids empty or 8 bytes (spans, links, log
/// records, exemplars). Data that passed on with a 3-byte id would make a peer refuse the whole
/// batch it was merged into.
/// </summary>
public static class OtlpValidation
{
    private const int TraceIdLength = 16;
    private const int SpanIdLength = 8;

    /// <summary>The first problem in <paramref name="request"/>, naming where it is; null when there is none.</summary>
    public static string? FindProblem(IMessage request) => request switch
    {
        ExportTraceServiceRequest traces => Traces(traces),
        ExportLogsServiceRequest logs => Logs(logs),
        ExportMetricsServiceRequest metrics => Metrics(metrics),
        _ => null,
    };

    private static string? Traces(ExportTraceServiceRequest request)
    {
        for (var r = 0; r < request.ResourceSpans.Count; r++)
        {
            var scopes = request.ResourceSpans[r].ScopeSpans;
            for (var s = 0; s < scopes.Count; s++)
            {
                var spans = scopes[s].Spans;
                for (var i = 0; i < spans.Count; i++)
                {
                    var span = spans[i];
                    var where = $"resourceSpans[{r}].scopeSpans[{s}].spans[{i}]";
                    var problem = Id(span.TraceId, TraceIdLength, where, "traceId")
                        ?? Id(span.SpanId, SpanIdLength, where, "spanId")
                        ?? Id(span.ParentSpanId, SpanIdLength, where, "parentSpanId");
                    for (var l = 0; problem is null && l < span.Links.Count; l++)
                    {
                        problem = Id(span.Links[l].TraceId, TraceIdLength, $"{where}.links[{l}]", "traceId")
                            ?? Id(span.Links[l].SpanId, SpanIdLength, $"{where}.links[{l}]", "spanId");
                    }

                    if (problem is not null)
                    {
                        return problem;
                    }
                }
            }
        }

        return null;
    }

    private static string? Logs(ExportLogsServiceRequest request)
    {
        for (var r = 0; r < request.ResourceLogs.Count; r++)
        {
            var scopes = request.ResourceLogs[r].ScopeLogs;
            for (var s = 0; s < scopes.Count; s++)
            {
                var records = scopes[s].LogRecords;
                for (var i = 0; i < records.Count; i++)
                {
                    var where = $"resourceLogs[{r}].scopeLogs[{s}].logRecords[{i}]";
                    if ((Id(records[i].TraceId, TraceIdLength, where, "traceId") ?? Id(records[i].SpanId, SpanIdLength, where, "spanId")) is { } problem)
                    {
                        return problem;
                    }
                }
            }
        }

        return null;
    }

    private static string? Metrics(ExportMetricsServiceRequest request)
    {
        for (var r = 0; r < request.ResourceMetrics.Count; r++)
        {
            var scopes = request.ResourceMetrics[r].ScopeMetrics;
            for (var s = 0; s < scopes.Count; s++)
            {
                var metrics = scopes[s].Metrics;
                for (var m = 0; m < metrics.Count; m++)
                {
                    var where = $"resourceMetrics[{r}].scopeMetrics[{s}].metrics[{m}]";
                    if (Exemplars(metrics[m], where) is { } problem)
                    {
                        return problem;
                    }
                }
            }
        }

        return null;
    }

    private static string? Exemplars(Metric metric, string where)
    {
        IEnumerable<Google.Protobuf.Collections.RepeatedField<Exemplar>> lists = metric.DataCase switch
        {
            Metric.DataOneofCase.Gauge => metric.Gauge.DataPoints.Select(p => p.Exemplars),
            Metric.DataOneofCase.Sum => metric.Sum.DataPoints.Select(p => p.Exemplars),
            Metric.DataOneofCase.Histogram => metric.Histogram.DataPoints.Select(p => p.Exemplars),
            Metric.DataOneofCase.ExponentialHistogram => metric.ExponentialHistogram.DataPoints.Select(p => p.Exemplars),
            _ => [],
        };
        foreach (var exemplars in lists)
        {
            foreach (var exemplar in exemplars)
            {
                if ((Id(exemplar.TraceId, TraceIdLength, where + ".exemplars", "traceId") ?? Id(exemplar.SpanId, SpanIdLength, where + ".exemplars", "spanId")) is { } problem)
                {
                    return problem;
                }
            }
        }

        return null;
    }

    private static string? Id(ByteString id, int length, string where, string field) =>
        id.Length == 0 || id.Length == length
            ? null
            : $"{where}.{field} must be empty or {length} bytes, got {id.Length}";
}
