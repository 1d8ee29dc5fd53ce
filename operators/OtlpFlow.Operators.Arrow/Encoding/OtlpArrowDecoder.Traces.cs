using Apache.Arrow;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Operators.Arrow.Encoding;

internal sealed partial class OtlpArrowDecoder
{
    private ExportTraceServiceRequest DecodeTraces(Dictionary<TableId, RecordBatch> tables)
    {
        var spans = System.Array.Empty<Span>();
        if (tables.TryGetValue(TableId.Spans, out var t))
        {
            var n = t.Length;
            var traceIds = tables.TryGetValue(TableId.TraceIds, out var ti) ? new ByteStringColumn(CheckedColumns.Binary<BinaryArray>(ti, "trace_id")) : (ByteStringColumn?)null;
            var traceRef = _scratch.Widen(IntegerColumn<int>.Of(t, "trace_ref"), n);
            var spanIds = t.Schema.GetFieldIndex("span_id64", StringComparer.Ordinal) >= 0
                ? SpanIds64(_scratch.Widen(IntegerColumn<ulong>.Of(t, "span_id64"), n), n)
                : new ByteStringColumn(CheckedColumns.Binary<BinaryArray>(t, "span_id"));
            var parentOffset = _scratch.Widen(IntegerColumn<int>.Of(t, "parent_offset"), n);
            var parentSpanId = new ByteStringColumn(CheckedColumns.Binary<BinaryArray>(t, "parent_span_id"));
            var traceIdOf = new List<ByteString>();
            var traceState = _scratch.Widen(IntegerColumn<uint>.Of(t, "trace_state"), n);
            var flags = _scratch.Widen(IntegerColumn<uint>.Of(t, "flags"), n);
            var name = _scratch.Widen(IntegerColumn<uint>.Of(t, "name"), n);
            var kind = TableBuilder.ExpandRunEnds(t.Column("kind", StringComparer.Ordinal), n);
            var duration = _scratch.Widen(IntegerColumn<long>.Of(t, "duration"), n);
            var droppedAttributes = _scratch.Widen(IntegerColumn<uint>.Of(t, "dropped_attributes_count"), n);
            var droppedEvents = _scratch.Widen(IntegerColumn<uint>.Of(t, "dropped_events_count"), n);
            var droppedLinks = _scratch.Widen(IntegerColumn<uint>.Of(t, "dropped_links_count"), n);
            var status = TableBuilder.ExpandRunEnds(t.Column("status_code", StringComparer.Ordinal), n);
            var statusMessage = _scratch.Widen(IntegerColumn<uint>.Of(t, "status_message"), n);
            spans = new Span[n];
            var starts = Starts(n, parentOffset, _scratch.Widen(IntegerColumn<long>.Of(t, "start_delta"), n));
            var trace = 0;
            for (var i = 0; i < n; i++)
            {
                trace += traceRef[i];
                while (traceIdOf.Count <= trace)
                {
                    var ids = traceIds ?? throw new InvalidDataException("Spans refer to trace ids but the message has none.");
                    traceIdOf.Add(ids[traceIdOf.Count]);
                }

                var startTime = starts[i];
                var span = new Span
                {
                    TraceId = traceIdOf[trace],
                    SpanId = spanIds[i],
                    TraceState = _names[traceState[i]],
                    Flags = flags[i],
                    Name = _names[name[i]],
                    Kind = (Span.Types.SpanKind)kind[i],
                    StartTimeUnixNano = startTime,
                    EndTimeUnixNano = Undelta(startTime, duration[i]),
                    DroppedAttributesCount = droppedAttributes[i],
                    DroppedEventsCount = droppedEvents[i],
                    DroppedLinksCount = droppedLinks[i],
                };
                if (status[i] != OtlpArrowEncoder.NoStatus)
                {
                    span.Status = new Status { Code = (Status.Types.StatusCode)status[i], Message = _names[statusMessage[i]] };
                }

                spans[i] = span;
            }

            for (var i = 0; i < n; i++)
            {
                spans[i].ParentSpanId = parentOffset[i] == 0 ? parentSpanId[i] : spans[i + parentOffset[i]].SpanId;
            }

            _attributes.Read(tables.GetValueOrDefault(TableId.SpanAttributes), t, spans, static s => s.Attributes);
        }

        if (tables.TryGetValue(TableId.Events, out var e))
        {
            var parent = _scratch.Widen(IntegerColumn<uint>.Of(e, "parent_id"), e.Length);
            var time = _scratch.Widen(IntegerColumn<long>.Of(e, "time_delta"), e.Length);
            var name = _scratch.Widen(IntegerColumn<uint>.Of(e, "name"), e.Length);
            var dropped = _scratch.Widen(IntegerColumn<uint>.Of(e, "dropped_attributes_count"), e.Length);
            var events = new Span.Types.Event[e.Length];
            uint row = 0;
            for (var i = 0; i < e.Length; i++)
            {
                row += parent[i];
                var span = spans[row];
                var ev = new Span.Types.Event { TimeUnixNano = Undelta(span.StartTimeUnixNano, time[i]), Name = _names[name[i]], DroppedAttributesCount = dropped[i] };
                span.Events.Add(ev);
                events[i] = ev;
            }

            _attributes.Read(tables.GetValueOrDefault(TableId.EventAttributes), e, events, static e => e.Attributes);
        }

        if (tables.TryGetValue(TableId.Links, out var l))
        {
            var parent = IntegerColumn<uint>.Of(l, "parent_id");
            var traceRef = IntegerColumn<int>.Of(l, "trace_ref");
            var traceId = CheckedColumns.Binary<BinaryArray>(l, "trace_id");
            var spanRow = IntegerColumn<int>.Of(l, "span_row");
            var spanId = CheckedColumns.Binary<BinaryArray>(l, "span_id");
            var traceIds = tables.TryGetValue(TableId.TraceIds, out var ti) ? CheckedColumns.Binary<BinaryArray>(ti, "trace_id") : null;
            var traceState = IntegerColumn<uint>.Of(l, "trace_state");
            var flags = IntegerColumn<uint>.Of(l, "flags");
            var dropped = IntegerColumn<uint>.Of(l, "dropped_attributes_count");
            var links = new Span.Types.Link[l.Length];
            uint row = 0;
            for (var i = 0; i < l.Length; i++)
            {
                row += parent[i];
                var link = new Span.Types.Link
                {
                    TraceId = traceRef[i] == 0 ? Bytes(traceId, i) : Bytes(traceIds ?? throw new InvalidDataException("Links refer to trace ids but the message has none."), traceRef[i] - 1),
                    SpanId = spanRow[i] == 0 ? Bytes(spanId, i) : spans[spanRow[i] - 1].SpanId,
                    TraceState = _names[traceState[i]],
                    Flags = flags[i],
                    DroppedAttributesCount = dropped[i],
                };
                spans[row].Links.Add(link);
                links[i] = link;
            }

            _attributes.Read(tables.GetValueOrDefault(TableId.LinkAttributes), l, links, static l => l.Attributes);
        }

        var request = new ExportTraceServiceRequest();
        var reader = new ResourceScopeReader(tables, _attributes, _names, _scratch);
        ResourceSpans? current = null;
        reader.Walk(
            (resource, schema) =>
            {
                current = new ResourceSpans { Resource = resource, SchemaUrl = schema };
                request.ResourceSpans.Add(current);
            },
            (scope, schema, first, count) =>
            {
                var ss = new ScopeSpans { Scope = scope, SchemaUrl = schema };
                AddRange(ss.Spans, spans, first, count);
                current!.ScopeSpans.Add(ss);
            });
        return request;
    }

    /// <summary>
    /// Span ids stored as 64-bit numbers, as 8-byte <see cref="ByteString"/>s that share one array
    /// (one allocation for the column, not one per id).
    /// </summary>
    private static ByteStringColumn SpanIds64(ulong[] values, int n)
    {
        var bytes = new byte[n * 8];
        for (var i = 0; i < n; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        }

        return ByteStringColumn.Fixed(bytes, 8);
    }

    /// <summary>
    /// Span starts: a span without a parent in the message is a delta from the previous such span;
    /// one with a parent is relative to the parent's start, resolved parent first.
    /// </summary>
    private ulong[] Starts(int n, int[] parentOffset, long[] start)
    {
        var starts = _scratch.Rent<ulong>(n);
        var resolved = _scratch.Rent<byte>(n);
        ulong previous = 0;
        for (var i = 0; i < n; i++)
        {
            resolved[i] = 0;
            if (parentOffset[i] == 0)
            {
                previous = Undelta(previous, start[i]);
                starts[i] = previous;
                resolved[i] = 1;
            }
        }

        List<int>? chain = null;
        for (var i = 0; i < n; i++)
        {
            if (resolved[i] != 0)
            {
                continue;
            }

            chain ??= [];
            chain.Clear();
            var row = i;
            while (resolved[row] == 0)
            {
                chain.Add(row);
                row += parentOffset[row];
                if ((uint)row >= (uint)n || chain.Count > n)
                {
                    throw new InvalidDataException("A span's parent offset points outside the message or into a loop.");
                }
            }

            for (var k = chain.Count - 1; k >= 0; k--)
            {
                var child = chain[k];
                starts[child] = Undelta(starts[child + parentOffset[child]], start[child]);
                resolved[child] = 1;
            }
        }

        return starts;
    }
}
