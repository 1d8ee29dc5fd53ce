using System.Buffers.Binary;
using Apache.Arrow;
using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtlpFlow.Operators.Arrow.Encoding;

public sealed partial class OtlpArrowEncoder
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
        var linkTraceId = new BinaryArray.Builder();
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

        // Trace ids are kept once per message; spans refer to them by index, delta-encoded.
        var traceIndex = new Dictionary<ByteString, int>();
        var traceIds = new BinaryArray.Builder();
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
            if (!traceIndex.TryGetValue(span.TraceId, out var trace))
            {
                trace = traceIndex.Count;
                traceIndex.Add(span.TraceId, trace);
                traceIds.Append(span.TraceId.Span);
            }

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

            // A parent in the same message is a row offset (never 0); otherwise its bytes are kept.
            if (span.ParentSpanId.Length > 0 && rowOfSpanId.TryGetValue(span.ParentSpanId, out var parentRow) && parentRow != i)
            {
                parentOffset.Append(parentRow - i);
                parentSpanId.Append(ReadOnlySpan<byte>.Empty);
            }
            else
            {
                parentOffset.Append(0);
                parentSpanId.Append(span.ParentSpanId.Span);
            }

            traceState.Append(_names.IndexOf(span.TraceState));
            flags.Append(span.Flags);
            name.Append(_names.IndexOf(span.Name));
            kind.Add((int)span.Kind);
            start.Append(Delta(span.StartTimeUnixNano, previousStart));
            previousStart = span.StartTimeUnixNano;
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
                linkTraceId.Append(link.TraceId.Span);
                linkSpanId.Append(link.SpanId.Span);
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
                .Add("trace_id", linkTraceId.Build(a))
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
}
