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
            var traceIds = tables.TryGetValue(TableId.TraceIds, out var ti) ? (BinaryArray)ti.Column("trace_id") : null;
            var traceRef = IntegerColumn<int>.Of(t, "trace_ref");
            var spanId64 = t.Schema.GetFieldIndex("span_id64") >= 0 ? IntegerColumn<ulong>.Of(t, "span_id64") : (IntegerColumn<ulong>?)null;
            var spanId = spanId64 is null ? (BinaryArray)t.Column("span_id") : null;
            var parentOffset = IntegerColumn<int>.Of(t, "parent_offset");
            var parentSpanId = (BinaryArray)t.Column("parent_span_id");
            var traceIdOf = new List<ByteString>();
            var traceState = IntegerColumn<uint>.Of(t, "trace_state");
            var flags = IntegerColumn<uint>.Of(t, "flags");
            var name = IntegerColumn<uint>.Of(t, "name");
            var kind = TableBuilder.ExpandRunEnds(t.Column("kind"), n);
            var start = IntegerColumn<long>.Of(t, "start_delta");
            var duration = IntegerColumn<long>.Of(t, "duration");
            var droppedAttributes = IntegerColumn<uint>.Of(t, "dropped_attributes_count");
            var droppedEvents = IntegerColumn<uint>.Of(t, "dropped_events_count");
            var droppedLinks = IntegerColumn<uint>.Of(t, "dropped_links_count");
            var status = TableBuilder.ExpandRunEnds(t.Column("status_code"), n);
            var statusMessage = IntegerColumn<uint>.Of(t, "status_message");
            spans = new Span[n];
            var starts = Starts(n, parentOffset, start);
            var trace = 0;
            for (var i = 0; i < n; i++)
            {
                trace += traceRef[i];
                while (traceIdOf.Count <= trace)
                {
                    traceIdOf.Add(Bytes(traceIds ?? throw new InvalidDataException("Spans refer to trace ids but the message has none."), traceIdOf.Count));
                }

                var startTime = starts[i];
                var span = new Span
                {
                    TraceId = traceIdOf[trace],
                    SpanId = spanId64 is not null ? SpanId64(spanId64.Value[i]) : Bytes(spanId!, i),
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
                spans[i].ParentSpanId = parentOffset[i] == 0 ? Bytes(parentSpanId, i) : spans[i + parentOffset[i]].SpanId;
            }

            ReadAttributes(tables, TableId.SpanAttributes, t, p => spans[p].Attributes);
        }

        if (tables.TryGetValue(TableId.Events, out var e))
        {
            var parent = IntegerColumn<uint>.Of(e, "parent_id");
            var time = IntegerColumn<long>.Of(e, "time_delta");
            var name = IntegerColumn<uint>.Of(e, "name");
            var dropped = IntegerColumn<uint>.Of(e, "dropped_attributes_count");
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

            ReadAttributes(tables, TableId.EventAttributes, e, p => events[p].Attributes);
        }

        if (tables.TryGetValue(TableId.Links, out var l))
        {
            var parent = IntegerColumn<uint>.Of(l, "parent_id");
            var traceRef = IntegerColumn<int>.Of(l, "trace_ref");
            var traceId = (BinaryArray)l.Column("trace_id");
            var spanRow = IntegerColumn<int>.Of(l, "span_row");
            var spanId = (BinaryArray)l.Column("span_id");
            var traceIds = tables.TryGetValue(TableId.TraceIds, out var ti) ? (BinaryArray)ti.Column("trace_id") : null;
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

            ReadAttributes(tables, TableId.LinkAttributes, l, p => links[p].Attributes);
        }

        var request = new ExportTraceServiceRequest();
        var reader = new ResourceScopeReader(tables, _attributes, _names);
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
                ss.Spans.Add(new ArraySegment<Span>(spans, first, count));
                current!.ScopeSpans.Add(ss);
            });
        return request;
    }

    private static ByteString SpanId64(ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return ByteString.CopyFrom(bytes);
    }

    /// <summary>
    /// Span starts: a span without a parent in the message is a delta from the previous such span;
    /// one with a parent is relative to the parent's start, resolved parent first.
    /// </summary>
    private static ulong[] Starts(int n, IntegerColumn<int> parentOffset, IntegerColumn<long> start)
    {
        var starts = new ulong[n];
        var resolved = new bool[n];
        ulong previous = 0;
        for (var i = 0; i < n; i++)
        {
            if (parentOffset[i] == 0)
            {
                previous = Undelta(previous, start[i]);
                starts[i] = previous;
                resolved[i] = true;
            }
        }

        var chain = new List<int>();
        for (var i = 0; i < n; i++)
        {
            chain.Clear();
            var row = i;
            while (!resolved[row])
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
                resolved[child] = true;
            }
        }

        return starts;
    }
}
