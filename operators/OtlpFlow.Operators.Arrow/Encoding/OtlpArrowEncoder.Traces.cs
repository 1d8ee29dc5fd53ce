using System.Buffers.Binary;
using Apache.Arrow;
using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtlpFlow.Operators.Arrow.Encoding;

internal sealed partial class OtlpArrowEncoder
{
    /// <summary>Status column value of a span without a status object.</summary>
    internal const int NoStatus = int.MinValue;

    private int EncodeTraces(ExportTraceServiceRequest request, ResourceScopeColumns resources, List<(TableId, RecordBatch)> tables)
    {
        var a = _allocator;
        var spanId = new BinaryArray.Builder();
        var parentSpanId = new BinaryArray.Builder();
        var traceState = new UInt32Array.Builder();
        var flags = new UInt32Array.Builder();
        var name = new UInt32Array.Builder();
        var kind = new List<int>();
        var start = new Int64Array.Builder();
        var duration = new Int64Array.Builder();
        var droppedAttributes = new UInt32Array.Builder();
        var droppedEvents = new UInt32Array.Builder();
        var droppedLinks = new UInt32Array.Builder();
        var status = new List<int>();
        var statusMessage = new UInt32Array.Builder();
        var spanAttributes = new AttributeTable();

        var eventParent = new UInt32Array.Builder();
        var eventTime = new Int64Array.Builder();
        var eventName = new UInt32Array.Builder();
        var eventDropped = new UInt32Array.Builder();
        var eventAttributes = new AttributeTable();
        var events = 0;

        var linkParent = new UInt32Array.Builder();
        var linkTraceRef = new Int32Array.Builder();
        var linkTraceId = new BinaryArray.Builder();
        var linkSpanRow = new Int32Array.Builder();
        var linkSpanId = new BinaryArray.Builder();
        var linkTraceState = new UInt32Array.Builder();
        var linkFlags = new UInt32Array.Builder();
        var linkDropped = new UInt32Array.Builder();
        var linkAttributes = new AttributeTable();
        var links = 0;

        // Flattened first: parent references may point forward, and the span id layout depends on all ids.
        var flat = new List<Span>();
        foreach (var rs in request.ResourceSpans)
        {
            resources.AddResource(rs.Resource, rs.SchemaUrl, rs.ScopeSpans.Count);
            foreach (var ss in rs.ScopeSpans)
            {
                resources.AddScope(ss.Scope, ss.SchemaUrl, ss.Spans.Count);
                flat.AddRange(ss.Spans);
            }
        }

        var spans = flat.Count;
        var rowOfSpanId = new Dictionary<ByteString, int>(spans);
        var fixedIds = true;
        for (var i = 0; i < spans; i++)
        {
            rowOfSpanId.TryAdd(flat[i].SpanId, i);
            fixedIds &= flat[i].SpanId.Length == 8;
        }

        var parentRow = ParentRows(flat, rowOfSpanId);

        // Trace ids are kept once per message, in order of first use; spans refer to them by
        // index, delta-encoded, and links by index + 1 when their trace is in the message.
        var traceIndex = new Dictionary<ByteString, int>();
        var traceIds = new BinaryArray.Builder();
        foreach (var span in flat)
        {
            if (traceIndex.TryAdd(span.TraceId, traceIndex.Count))
            {
                traceIds.Append(span.TraceId.Span);
            }
        }

        var traceRef = new Int32Array.Builder();
        var spanId64 = new UInt64Array.Builder();
        var parentOffset = new Int32Array.Builder();
        var previousTrace = 0;
        ulong previousStart = 0;
        uint previousEventParent = 0;
        uint previousLinkParent = 0;
        for (var i = 0; i < spans; i++)
        {
            var span = flat[i];
            var row = (uint)i;
            var trace = traceIndex[span.TraceId];
            traceRef.Append(trace - previousTrace);
            previousTrace = trace;
            if (fixedIds)
            {
                spanId64.Append(BinaryPrimitives.ReadUInt64LittleEndian(span.SpanId.Span));
            }
            else
            {
                spanId.Append(span.SpanId.Span);
            }

            // A parent in the same message is a row offset (never 0), and the span's start is
            // kept relative to the parent's (a child starts inside its parent, so the difference is
            // small); otherwise the parent's bytes are kept and the start is a delta from the
            // previous such span.
            if (parentRow[i] >= 0)
            {
                parentOffset.Append(parentRow[i] - i);
                parentSpanId.Append(ReadOnlySpan<byte>.Empty);
                start.Append(Delta(span.StartTimeUnixNano, flat[parentRow[i]].StartTimeUnixNano));
            }
            else
            {
                parentOffset.Append(0);
                parentSpanId.Append(span.ParentSpanId.Span);
                start.Append(Delta(span.StartTimeUnixNano, previousStart));
                previousStart = span.StartTimeUnixNano;
            }

            traceState.Append(_names.IndexOf(span.TraceState));
            flags.Append(span.Flags);
            name.Append(_names.IndexOf(span.Name));
            kind.Add((int)span.Kind);
            duration.Append(Delta(span.EndTimeUnixNano, span.StartTimeUnixNano));
            droppedAttributes.Append(span.DroppedAttributesCount);
            droppedEvents.Append(span.DroppedEventsCount);
            droppedLinks.Append(span.DroppedLinksCount);
            status.Add(span.Status is null ? NoStatus : (int)span.Status.Code);
            statusMessage.Append(_names.IndexOf(span.Status?.Message ?? string.Empty));
            spanAttributes.Add(row, span.Attributes, _keys, _values);

            foreach (var ev in span.Events)
            {
                eventParent.Append(row - previousEventParent);
                previousEventParent = row;
                eventTime.Append(Delta(ev.TimeUnixNano, span.StartTimeUnixNano));
                eventName.Append(_names.IndexOf(ev.Name));
                eventDropped.Append(ev.DroppedAttributesCount);
                eventAttributes.Add((uint)events++, ev.Attributes, _keys, _values);
            }

            foreach (var link in span.Links)
            {
                linkParent.Append(row - previousLinkParent);
                previousLinkParent = row;
                // A linked trace or span that is in this message is a reference (index + 1; 0 keeps the bytes).
                var linkedTrace = traceIndex.TryGetValue(link.TraceId, out var index) ? index + 1 : 0;
                linkTraceRef.Append(linkedTrace);
                linkTraceId.Append(linkedTrace == 0 ? link.TraceId.Span : ReadOnlySpan<byte>.Empty);
                var linkedRow = rowOfSpanId.TryGetValue(link.SpanId, out var spanRow) ? spanRow + 1 : 0;
                linkSpanRow.Append(linkedRow);
                linkSpanId.Append(linkedRow == 0 ? link.SpanId.Span : ReadOnlySpan<byte>.Empty);
                linkTraceState.Append(_names.IndexOf(link.TraceState));
                linkFlags.Append(link.Flags);
                linkDropped.Append(link.DroppedAttributesCount);
                linkAttributes.Add((uint)links++, link.Attributes, _keys, _values);
            }
        }

        if (traceIndex.Count > 0)
        {
            tables.Add((TableId.TraceIds, new TableBuilder(a).Add("trace_id", traceIds.Build(a)).Build(traceIndex.Count)));
        }

        if (spans > 0)
        {
            tables.Add((TableId.Spans, new TableBuilder(a)
                .Add("trace_ref", traceRef.Build(a))
                .Add(fixedIds ? "span_id64" : "span_id", fixedIds ? spanId64.Build(a) : spanId.Build(a))
                .Add("parent_offset", parentOffset.Build(a))
                .Add("parent_span_id", parentSpanId.Build(a))
                .Add("trace_state", traceState.Build(a))
                .Add("flags", flags.Build(a))
                .Add("name", name.Build(a))
                .Add("kind", TableBuilder.RunEnds(kind.ToArray(), a))
                .Add("start_delta", start.Build(a))
                .Add("duration", duration.Build(a))
                .Add("dropped_attributes_count", droppedAttributes.Build(a))
                .Add("dropped_events_count", droppedEvents.Build(a))
                .Add("dropped_links_count", droppedLinks.Build(a))
                .Add("status_code", TableBuilder.RunEnds(status.ToArray(), a))
                .Add("status_message", statusMessage.Build(a))
                .Build(spans)));
        }

        if (spanAttributes.Count > 0)
        {
            tables.Add((TableId.SpanAttributes, spanAttributes.Build(a)));
        }

        if (events > 0)
        {
            tables.Add((TableId.Events, new TableBuilder(a)
                .Add("parent_id", eventParent.Build(a))
                .Add("time_delta", eventTime.Build(a))
                .Add("name", eventName.Build(a))
                .Add("dropped_attributes_count", eventDropped.Build(a))
                .Build(events)));
        }

        if (eventAttributes.Count > 0)
        {
            tables.Add((TableId.EventAttributes, eventAttributes.Build(a)));
        }

        if (links > 0)
        {
            tables.Add((TableId.Links, new TableBuilder(a)
                .Add("parent_id", linkParent.Build(a))
                .Add("trace_ref", linkTraceRef.Build(a))
                .Add("trace_id", linkTraceId.Build(a))
                .Add("span_row", linkSpanRow.Build(a))
                .Add("span_id", linkSpanId.Build(a))
                .Add("trace_state", linkTraceState.Build(a))
                .Add("flags", linkFlags.Build(a))
                .Add("dropped_attributes_count", linkDropped.Build(a))
                .Build(links)));
        }

        if (linkAttributes.Count > 0)
        {
            tables.Add((TableId.LinkAttributes, linkAttributes.Build(a)));
        }

        return spans;
    }

    /// <summary>
    /// The row of each span's parent when it is in the message, else -1. Parent chains that loop
    /// (possible only in malformed data) are cut, so that every chain ends at a span whose start is
    /// not relative to another's.
    /// </summary>
    private static int[] ParentRows(List<Span> flat, Dictionary<ByteString, int> rowOfSpanId)
    {
        var parentRow = new int[flat.Count];
        for (var i = 0; i < flat.Count; i++)
        {
            var parent = flat[i].ParentSpanId;
            parentRow[i] = parent.Length > 0 && rowOfSpanId.TryGetValue(parent, out var row) && row != i ? row : -1;
        }

        // 0: not seen, 1: on the chain being walked, 2: done.
        var state = new byte[flat.Count];
        var chain = new List<int>();
        for (var i = 0; i < flat.Count; i++)
        {
            chain.Clear();
            var row = i;
            while (row >= 0 && state[row] == 0)
            {
                state[row] = 1;
                chain.Add(row);
                row = parentRow[row];
            }

            if (row >= 0 && state[row] == 1)
            {
                parentRow[row] = -1;
            }

            foreach (var walked in chain)
            {
                state[walked] = 2;
            }
        }

        return parentRow;
    }
}
