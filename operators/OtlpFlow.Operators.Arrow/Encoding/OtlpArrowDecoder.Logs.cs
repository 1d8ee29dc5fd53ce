using Apache.Arrow;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Logs.V1;

namespace OtlpFlow.Operators.Arrow.Encoding;

internal sealed partial class OtlpArrowDecoder
{
    private ExportLogsServiceRequest DecodeLogs(Dictionary<TableId, RecordBatch> tables)
    {
        var records = System.Array.Empty<LogRecord>();
        if (tables.TryGetValue(TableId.Logs, out var t))
        {
            var n = t.Length;
            var time = IntegerColumn<long>.Of(t, "time_delta");
            var observed = IntegerColumn<long>.Of(t, "observed_delta");
            var severity = TableBuilder.ExpandRunEnds(t.Column("severity_number"), n);
            var severityText = IntegerColumn<uint>.Of(t, "severity_text");
            var dropped = IntegerColumn<uint>.Of(t, "dropped_attributes_count");
            var flags = IntegerColumn<uint>.Of(t, "flags");
            var traceId = (BinaryArray)t.Column("trace_id");
            var spanId = (BinaryArray)t.Column("span_id");
            var eventName = IntegerColumn<uint>.Of(t, "event_name");
            var body = new AnyValueColumns.Reader(t, "body_", _bodies);
            records = new LogRecord[n];
            ulong previousTime = 0;
            for (var i = 0; i < n; i++)
            {
                var timestamp = Undelta(previousTime, time[i]);
                previousTime = timestamp;
                var record = new LogRecord
                {
                    TimeUnixNano = timestamp,
                    ObservedTimeUnixNano = Undelta(timestamp, observed[i]),
                    SeverityNumber = (SeverityNumber)severity[i],
                    SeverityText = _names[severityText[i]],
                    DroppedAttributesCount = dropped[i],
                    Flags = flags[i],
                    TraceId = Bytes(traceId, i),
                    SpanId = Bytes(spanId, i),
                    EventName = _names[eventName[i]],
                };
                var value = body.Get(i);
                if (value is not null)
                {
                    record.Body = value;
                }

                records[i] = record;
            }

            ReadAttributes(tables, TableId.LogAttributes, t, p => records[p].Attributes);
        }

        var request = new ExportLogsServiceRequest();
        var reader = new ResourceScopeReader(tables, _attributes, _names);
        ResourceLogs? current = null;
        reader.Walk(
            (resource, schema) =>
            {
                current = new ResourceLogs { Resource = resource, SchemaUrl = schema };
                request.ResourceLogs.Add(current);
            },
            (scope, schema, first, count) =>
            {
                var sl = new ScopeLogs { Scope = scope, SchemaUrl = schema };
                sl.LogRecords.Add(new ArraySegment<LogRecord>(records, first, count));
                current!.ScopeLogs.Add(sl);
            });
        return request;
    }
}
