using System.Buffers.Binary;
using Apache.Arrow;
using OpenTelemetry.Proto.Trace.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtlpFlow.Operators.Arrow.Encoding;

internal sealed partial class OtlpArrowEncoder
{
    /// <summary>Status column value of a span without a status object.</summary>
    internal const int NoStatus = int.MinValue;

    private TraceColumns? _traceColumns;

    /// <summary>The span, event and link columns, kept for the stream's next message.</summary>
    private sealed class TraceColumns
    {
        public readonly List<Span> Flat = [];
        public readonly IdIndex RowOfSpanId = new();
        public readonly IdIndex TraceIndex = new();
        public int[] ParentRow = new int[256];
        public byte[] State = new byte[256];
        public readonly List<int> Chain = [];

        public readonly BinaryColumn TraceIds = new();
        public readonly SignedColumn TraceRef = new();
        public readonly UnsignedColumn SpanId64 = new();
        public readonly BinaryColumn SpanId = new();
        public readonly SignedColumn ParentOffset = new();
        public readonly BinaryColumn ParentSpanId = new();
        public readonly UnsignedColumn TraceState = new();
        public readonly UnsignedColumn Flags = new();
        public readonly UnsignedColumn Name = new();
        public readonly RunEndColumn Kind = new();
        public readonly SignedColumn Start = new();
        public readonly SignedColumn Duration = new();
        public readonly UnsignedColumn DroppedAttributes = new();
        public readonly UnsignedColumn DroppedEvents = new();
        public readonly UnsignedColumn DroppedLinks = new();
        public readonly RunEndColumn Status = new();
        public readonly UnsignedColumn StatusMessage = new();
        public readonly AttributeTable SpanAttributes = new();

        public readonly UnsignedColumn EventParent = new();
        public readonly SignedColumn EventTime = new();
        public readonly UnsignedColumn EventName = new();
        public readonly UnsignedColumn EventDropped = new();
        public readonly AttributeTable EventAttributes = new();

        public readonly UnsignedColumn LinkParent = new();
        public readonly SignedColumn LinkTraceRef = new();
        public readonly BinaryColumn LinkTraceId = new();
        public readonly SignedColumn LinkSpanRow = new();
        public readonly BinaryColumn LinkSpanId = new();
        public readonly UnsignedColumn LinkTraceState = new();
        public readonly UnsignedColumn LinkFlags = new();
        public readonly UnsignedColumn LinkDropped = new();
        public readonly AttributeTable LinkAttributes = new();

        /// <summary>Sizes the span, event and link columns for a message, once, from its counts.</summary>
        public void Reserve(int spans, int attributes, int events, int links)
        {
            TraceRef.Reserve(spans);
            ParentOffset.Reserve(spans);
            Start.Reserve(spans);
            Duration.Reserve(spans);
            SpanId64.Reserve(spans);
            TraceState.Reserve(spans);
            Flags.Reserve(spans);
            Name.Reserve(spans);
            DroppedAttributes.Reserve(spans);
            DroppedEvents.Reserve(spans);
            DroppedLinks.Reserve(spans);
            StatusMessage.Reserve(spans);
            EventParent.Reserve(events);
            EventName.Reserve(events);
            EventDropped.Reserve(events);
            ParentSpanId.Reserve(spans, 8);
            TraceIds.Reserve(spans, 16);
            EventTime.Reserve(events);
            SpanAttributes.Reserve(spans, attributes);
            EventAttributes.Reserve(events, 0);
            LinkAttributes.Reserve(links, 0);
        }

        public void Clear()
        {
            Scratch.Trim(ref ParentRow, Flat.Count);
            Scratch.Trim(ref State, Flat.Count);
            if (Flat.Capacity > 64 * 1024 && Flat.Count < Flat.Capacity / 4)
            {
                Flat.Clear();
                Flat.Capacity = 1024;
            }

            Flat.Clear();
            Chain.Clear();
            TraceIds.Clear();
            TraceRef.Clear();
            SpanId64.Clear();
            SpanId.Clear();
            ParentOffset.Clear();
            ParentSpanId.Clear();
            TraceState.Clear();
            Flags.Clear();
            Name.Clear();
            Kind.Clear();
            Start.Clear();
            Duration.Clear();
            DroppedAttributes.Clear();
            DroppedEvents.Clear();
            DroppedLinks.Clear();
            Status.Clear();
            StatusMessage.Clear();
            SpanAttributes.Clear();
            EventParent.Clear();
            EventTime.Clear();
            EventName.Clear();
            EventDropped.Clear();
            EventAttributes.Clear();
            LinkParent.Clear();
            LinkTraceRef.Clear();
            LinkTraceId.Clear();
            LinkSpanRow.Clear();
            LinkSpanId.Clear();
            LinkTraceState.Clear();
            LinkFlags.Clear();
            LinkDropped.Clear();
            LinkAttributes.Clear();
        }
    }

    private int EncodeTraces(ExportTraceServiceRequest request, MessageBuffers buffers, List<(TableId, RecordBatch)> tables)
    {
        var c = _traceColumns ??= new TraceColumns();
        c.Clear();

        // Flattened first: parent references may point forward, and the span id layout depends on all ids.
        var flat = c.Flat;
        foreach (var rs in request.ResourceSpans)
        {
            _resources.AddResource(rs.Resource, rs.SchemaUrl, rs.ScopeSpans.Count);
            foreach (var ss in rs.ScopeSpans)
            {
                _resources.AddScope(ss.Scope, ss.SchemaUrl, ss.Spans.Count);
                flat.AddRange(ss.Spans);
            }
        }

        var spans = flat.Count;
        var fixedIds = true;
        var fixedTraceIds = true;
        int attributeCount = 0, eventCount = 0, linkCount = 0;
        foreach (var span in flat)
        {
            fixedIds &= span.SpanId.Length == 8;
            fixedTraceIds &= span.TraceId.Length == 16;
            attributeCount += span.Attributes.Count;
            eventCount += span.Events.Count;
            linkCount += span.Links.Count;
        }

        c.Reserve(spans, attributeCount, eventCount, linkCount);

        var rowOfSpanId = c.RowOfSpanId;
        rowOfSpanId.Clear(fixedIds ? 8 : 0);
        for (var i = 0; i < spans; i++)
        {
            rowOfSpanId.TryAdd(flat[i].SpanId, i);
        }

        var parentRow = ParentRows(c);

        // Trace ids are kept once per message, in order of first use; spans refer to them by
        // index, delta-encoded, and links by index + 1 when their trace is in the message.
        var traceIndex = c.TraceIndex;
        traceIndex.Clear(fixedTraceIds ? 16 : 0);
        foreach (var span in flat)
        {
            if (traceIndex.TryAdd(span.TraceId, traceIndex.Count))
            {
                c.TraceIds.Append(span.TraceId.Span);
            }
        }

        var previousTrace = 0;
        ulong previousStart = 0;
        uint previousEventParent = 0;
        uint previousLinkParent = 0;
        var events = 0;
        var links = 0;
        for (var i = 0; i < spans; i++)
        {
            var span = flat[i];
            var row = (uint)i;
            traceIndex.TryGetValue(span.TraceId, out var trace);
            c.TraceRef.Append(trace - previousTrace);
            previousTrace = trace;
            if (fixedIds)
            {
                c.SpanId64.Append(BinaryPrimitives.ReadUInt64LittleEndian(span.SpanId.Span));
            }
            else
            {
                c.SpanId.Append(span.SpanId.Span);
            }

            // A parent in the same message is a row offset (never 0), and the span's start is
            // kept relative to the parent's (a child starts inside its parent, so the difference is
            // small); otherwise the parent's bytes are kept and the start is a delta from the
            // previous such span.
            var parent = parentRow[i];
            if (parent >= 0)
            {
                c.ParentOffset.Append(parent - i);
                c.ParentSpanId.Append(ReadOnlySpan<byte>.Empty);
                c.Start.Append(Delta(span.StartTimeUnixNano, flat[parent].StartTimeUnixNano));
            }
            else
            {
                c.ParentOffset.Append(0);
                c.ParentSpanId.Append(span.ParentSpanId.Span);
                c.Start.Append(Delta(span.StartTimeUnixNano, previousStart));
                previousStart = span.StartTimeUnixNano;
            }

            c.TraceState.Append(_names.IndexOf(span.TraceState));
            c.Flags.Append(span.Flags);
            c.Name.Append(_names.IndexOf(span.Name));
            c.Kind.Append((int)span.Kind);
            c.Duration.Append(Delta(span.EndTimeUnixNano, span.StartTimeUnixNano));
            c.DroppedAttributes.Append(span.DroppedAttributesCount);
            c.DroppedEvents.Append(span.DroppedEventsCount);
            c.DroppedLinks.Append(span.DroppedLinksCount);
            var status = span.Status;
            c.Status.Append(status is null ? NoStatus : (int)status.Code);
            c.StatusMessage.Append(_names.IndexOf(status?.Message ?? string.Empty));
            c.SpanAttributes.Add(row, span.Attributes, _attributes);

            for (var evIndex = 0; evIndex < span.Events.Count; evIndex++)
            {
                var ev = span.Events[evIndex];
                c.EventParent.Append(row - previousEventParent);
                previousEventParent = row;
                c.EventTime.Append(Delta(ev.TimeUnixNano, span.StartTimeUnixNano));
                c.EventName.Append(_names.IndexOf(ev.Name));
                c.EventDropped.Append(ev.DroppedAttributesCount);
                c.EventAttributes.Add((uint)events++, ev.Attributes, _attributes);
            }

            for (var linkIndex = 0; linkIndex < span.Links.Count; linkIndex++)
            {
                var link = span.Links[linkIndex];
                c.LinkParent.Append(row - previousLinkParent);
                previousLinkParent = row;
                // A linked trace or span that is in this message is a reference (index + 1; 0 keeps the bytes).
                var linkedTrace = traceIndex.TryGetValue(link.TraceId, out var index) ? index + 1 : 0;
                c.LinkTraceRef.Append(linkedTrace);
                c.LinkTraceId.Append(linkedTrace == 0 ? link.TraceId.Span : ReadOnlySpan<byte>.Empty);
                var linkedRow = rowOfSpanId.TryGetValue(link.SpanId, out var spanRow) ? spanRow + 1 : 0;
                c.LinkSpanRow.Append(linkedRow);
                c.LinkSpanId.Append(linkedRow == 0 ? link.SpanId.Span : ReadOnlySpan<byte>.Empty);
                c.LinkTraceState.Append(_names.IndexOf(link.TraceState));
                c.LinkFlags.Append(link.Flags);
                c.LinkDropped.Append(link.DroppedAttributesCount);
                c.LinkAttributes.Add((uint)links++, link.Attributes, _attributes);
            }
        }

        if (traceIndex.Count > 0)
        {
            tables.Add((TableId.TraceIds, new TableBuilder(buffers).Add("trace_id", c.TraceIds).Build(traceIndex.Count)));
        }

        if (spans > 0)
        {
            var table = new TableBuilder(buffers).Add("trace_ref", c.TraceRef);
            if (fixedIds)
            {
                table.Add("span_id64", c.SpanId64);
            }
            else
            {
                table.Add("span_id", c.SpanId);
            }

            tables.Add((TableId.Spans, table
                .Add("parent_offset", c.ParentOffset)
                .Add("parent_span_id", c.ParentSpanId)
                .Add("trace_state", c.TraceState)
                .Add("flags", c.Flags)
                .Add("name", c.Name)
                .Add("kind", c.Kind)
                .Add("start_delta", c.Start)
                .Add("duration", c.Duration)
                .Add("dropped_attributes_count", c.DroppedAttributes)
                .Add("dropped_events_count", c.DroppedEvents)
                .Add("dropped_links_count", c.DroppedLinks)
                .Add("status_code", c.Status)
                .Add("status_message", c.StatusMessage)
                .Add("attributes_shape", c.SpanAttributes.Shapes)
                .Build(spans)));
        }

        if (c.SpanAttributes.Count > 0)
        {
            tables.Add((TableId.SpanAttributes, c.SpanAttributes.Build(buffers, _shapes)));
        }

        if (events > 0)
        {
            tables.Add((TableId.Events, new TableBuilder(buffers)
                .Add("parent_id", c.EventParent)
                .Add("time_delta", c.EventTime)
                .Add("name", c.EventName)
                .Add("dropped_attributes_count", c.EventDropped)
                .Add("attributes_shape", c.EventAttributes.Shapes)
                .Build(events)));
        }

        if (c.EventAttributes.Count > 0)
        {
            tables.Add((TableId.EventAttributes, c.EventAttributes.Build(buffers, _shapes)));
        }

        if (links > 0)
        {
            tables.Add((TableId.Links, new TableBuilder(buffers)
                .Add("parent_id", c.LinkParent)
                .Add("trace_ref", c.LinkTraceRef)
                .Add("trace_id", c.LinkTraceId)
                .Add("span_row", c.LinkSpanRow)
                .Add("span_id", c.LinkSpanId)
                .Add("trace_state", c.LinkTraceState)
                .Add("flags", c.LinkFlags)
                .Add("dropped_attributes_count", c.LinkDropped)
                .Add("attributes_shape", c.LinkAttributes.Shapes)
                .Build(links)));
        }

        if (c.LinkAttributes.Count > 0)
        {
            tables.Add((TableId.LinkAttributes, c.LinkAttributes.Build(buffers, _shapes)));
        }

        return spans;
    }

    /// <summary>
    /// The row of each span's parent when it is in the message, else -1. Parent chains that loop
    /// (possible only in malformed data) are cut, so that every chain ends at a span whose start is
    /// not relative to another's.
    /// </summary>
    private static ReadOnlySpan<int> ParentRows(TraceColumns c)
    {
        var flat = c.Flat;
        if (c.ParentRow.Length < flat.Count)
        {
            c.ParentRow = new int[flat.Count];
            c.State = new byte[flat.Count];
        }

        var parentRow = c.ParentRow.AsSpan(0, flat.Count);
        for (var i = 0; i < flat.Count; i++)
        {
            var parent = flat[i].ParentSpanId;
            parentRow[i] = parent.Length > 0 && c.RowOfSpanId.TryGetValue(parent, out var row) && row != i ? row : -1;
        }

        // 0: not seen, 1: on the chain being walked, 2: done.
        var state = c.State.AsSpan(0, flat.Count);
        state.Clear();
        var chain = c.Chain;
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
