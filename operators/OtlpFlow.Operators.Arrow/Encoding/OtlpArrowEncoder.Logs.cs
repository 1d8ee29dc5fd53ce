using Apache.Arrow;
using OpenTelemetry.Proto.Collector.Logs.V1;

namespace OtlpFlow.Operators.Arrow.Encoding;

internal sealed partial class OtlpArrowEncoder
{
    private LogColumns? _logColumns;

    /// <summary>The log record columns, kept for the stream's next message.</summary>
    private sealed class LogColumns
    {
        public readonly SignedColumn Time = new();
        public readonly SignedColumn Observed = new();
        public readonly RunEndColumn Severity = new();
        public readonly UnsignedColumn SeverityText = new();
        public readonly AnyValueColumns Body = new();
        public readonly UnsignedColumn Dropped = new();
        public readonly UnsignedColumn Flags = new();
        public readonly BinaryColumn TraceId = new();
        public readonly BinaryColumn SpanId = new();
        public readonly UnsignedColumn EventName = new();
        public readonly AttributeTable Attributes = new();

        public void Clear()
        {
            Time.Clear();
            Observed.Clear();
            Severity.Clear();
            SeverityText.Clear();
            Body.Clear();
            Dropped.Clear();
            Flags.Clear();
            TraceId.Clear();
            SpanId.Clear();
            EventName.Clear();
            Attributes.Clear();
        }
    }

    private int EncodeLogs(ExportLogsServiceRequest request, MessageBuffers buffers, List<(TableId, RecordBatch)> tables)
    {
        var c = _logColumns ??= new LogColumns();
        c.Clear();
        var records = 0;
        ulong previousTime = 0;
        foreach (var rl in request.ResourceLogs)
        {
            _resources.AddResource(rl.Resource, rl.SchemaUrl, rl.ScopeLogs.Count);
            foreach (var sl in rl.ScopeLogs)
            {
                _resources.AddScope(sl.Scope, sl.SchemaUrl, sl.LogRecords.Count);
                for (var logIndex = 0; logIndex < sl.LogRecords.Count; logIndex++)
                {
                    var log = sl.LogRecords[logIndex];
                    var row = (uint)records++;
                    c.Time.Append(Delta(log.TimeUnixNano, previousTime));
                    previousTime = log.TimeUnixNano;
                    c.Observed.Append(Delta(log.ObservedTimeUnixNano, log.TimeUnixNano));
                    c.Severity.Append((int)log.SeverityNumber);
                    c.SeverityText.Append(_names.IndexOf(log.SeverityText));
                    c.Body.Append(AnyValueColumns.Classify(log.Body, _bodies));
                    c.Dropped.Append(log.DroppedAttributesCount);
                    c.Flags.Append(log.Flags);
                    c.TraceId.Append(log.TraceId.Span);
                    c.SpanId.Append(log.SpanId.Span);
                    c.EventName.Append(_names.IndexOf(log.EventName));
                    c.Attributes.Add(row, log.Attributes, _attributes);
                }
            }
        }

        if (records > 0)
        {
            var table = new TableBuilder(buffers)
                .Add("time_delta", c.Time)
                .Add("observed_delta", c.Observed)
                .Add("severity_number", c.Severity)
                .Add("severity_text", c.SeverityText)
                .Add("dropped_attributes_count", c.Dropped)
                .Add("flags", c.Flags)
                .Add("trace_id", c.TraceId)
                .Add("span_id", c.SpanId)
                .Add("event_name", c.EventName)
                .Add("attributes_shape", c.Attributes.Shapes);
            c.Body.AddTo(table, "body_");
            tables.Add((TableId.Logs, table.Build(records)));
        }

        if (c.Attributes.Count > 0)
        {
            tables.Add((TableId.LogAttributes, c.Attributes.Build(buffers, _shapes)));
        }

        return records;
    }
}
