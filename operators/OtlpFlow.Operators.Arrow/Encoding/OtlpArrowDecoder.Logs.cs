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
            var time = _scratch.Widen(IntegerColumn<long>.Of(t, "time_delta"), n);
            var observed = _scratch.Widen(IntegerColumn<long>.Of(t, "observed_delta"), n);
            var severity = TableBuilder.ExpandRunEnds(t.Column("severity_number", StringComparer.Ordinal), n);
            var severityText = _scratch.Widen(IntegerColumn<uint>.Of(t, "severity_text"), n);
            var dropped = _scratch.Widen(IntegerColumn<uint>.Of(t, "dropped_attributes_count"), n);
            var flags = _scratch.Widen(IntegerColumn<uint>.Of(t, "flags"), n);
            var traceId = new ByteStringColumn(CheckedColumns.Binary<BinaryArray>(t, "trace_id"));
            var spanId = new ByteStringColumn(CheckedColumns.Binary<BinaryArray>(t, "span_id"));
            var eventName = _scratch.Widen(IntegerColumn<uint>.Of(t, "event_name"), n);
            var body = new AnyValueColumns.Reader(t, "body_", _bodies, _scratch);
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
                    TraceId = traceId[i],
                    SpanId = spanId[i],
                    EventName = _names[eventName[i]],
                };
                var value = body.Get(i);
                if (value is not null)
                {
                    record.Body = value;
                }

                records[i] = record;
            }

            _attributes.Read(tables.GetValueOrDefault(TableId.LogAttributes), t, records, static r => r.Attributes);
        }

        var request = new ExportLogsServiceRequest();
        var reader = new ResourceScopeReader(tables, _attributes, _names, _scratch);
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
                AddRange(sl.LogRecords, records, first, count);
                current!.ScopeLogs.Add(sl);
            });
        return request;
    }
}
