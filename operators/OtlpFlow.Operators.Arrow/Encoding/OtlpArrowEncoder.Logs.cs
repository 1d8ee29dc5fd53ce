using Apache.Arrow;
using OpenTelemetry.Proto.Collector.Logs.V1;

namespace OtlpFlow.Operators.Arrow.Encoding;

internal sealed partial class OtlpArrowEncoder
{
    private int EncodeLogs(ExportLogsServiceRequest request, ResourceScopeColumns resources, List<(TableId, RecordBatch)> tables)
    {
        var a = _allocator;
        var time = new Int64Array.Builder();
        var observed = new Int64Array.Builder();
        var severity = new List<int>();
        var severityText = new UInt32Array.Builder();
        var body = new AnyValueColumns();
        var dropped = new UInt32Array.Builder();
        var flags = new UInt32Array.Builder();
        var traceId = new BinaryArray.Builder();
        var spanId = new BinaryArray.Builder();
        var eventName = new UInt32Array.Builder();
        var attributes = new AttributeTable();
        var records = 0;
        ulong previousTime = 0;
        foreach (var rl in request.ResourceLogs)
        {
            resources.AddResource(rl.Resource, rl.SchemaUrl, rl.ScopeLogs.Count);
            foreach (var sl in rl.ScopeLogs)
            {
                resources.AddScope(sl.Scope, sl.SchemaUrl, sl.LogRecords.Count);
                foreach (var log in sl.LogRecords)
                {
                    var row = (uint)records++;
                    time.Append(Delta(log.TimeUnixNano, previousTime));
                    previousTime = log.TimeUnixNano;
                    observed.Append(Delta(log.ObservedTimeUnixNano, log.TimeUnixNano));
                    severity.Add((int)log.SeverityNumber);
                    severityText.Append(_names.IndexOf(log.SeverityText));
                    body.Append(AnyValueColumns.Classify(log.Body, _values));
                    dropped.Append(log.DroppedAttributesCount);
                    flags.Append(log.Flags);
                    traceId.Append(log.TraceId.Span);
                    spanId.Append(log.SpanId.Span);
                    eventName.Append(_names.IndexOf(log.EventName));
                    attributes.Add(row, log.Attributes, _keys, _values);
                }
            }
        }

        if (records > 0)
        {
            var table = new TableBuilder(a)
                .Add("time_delta", time.Build(a))
                .Add("observed_delta", observed.Build(a))
                .Add("severity_number", TableBuilder.RunEnds(severity.ToArray(), a))
                .Add("severity_text", severityText.Build(a))
                .Add("dropped_attributes_count", dropped.Build(a))
                .Add("flags", flags.Build(a))
                .Add("trace_id", traceId.Build(a))
                .Add("span_id", spanId.Build(a))
                .Add("event_name", eventName.Build(a));
            body.AddTo(table, "body_");
            tables.Add((TableId.Logs, table.Build(records)));
        }

        if (attributes.Count > 0)
        {
            tables.Add((TableId.LogAttributes, attributes.Build(a)));
        }

        return records;
    }
}
