using System.Buffers;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// Turns held traces back into the wire bytes of one <see cref="ExportTraceServiceRequest"/>,
/// concatenated from the held encodings — ResourceSpans { resource, ScopeSpans { scope, spans...,
/// schema_url }..., schema_url } per interned resource and scope, in first-seen order — for the
/// sampler to send on encoded (outside its lock): no objects are built unless a later operator reads them.
/// Not thread-safe: used under the sampler's lock, before the traces' chunks are reclaimed.
/// </summary>
internal sealed class HeldTraceWriter(SpanArena arena, InternedScopes scopes)
{
    private const byte ResourceSpansTag = (1 << 3) | 2;
    private const byte ScopeSpansTag = (2 << 3) | 2;
    private const byte SpanTag = (2 << 3) | 2;

    private readonly Dictionary<int, int> _groupOfScope = [];
    private readonly Dictionary<int, int> _resourceIndex = [];

    /// <summary>The encoded request holding every span of <paramref name="traces"/>: its first <paramref name="size"/> bytes, in an array from the shared pool (the caller returns it).</summary>
    public byte[] Encode(List<HeldTrace> traces, out int size)
    {
        var count = 0;
        foreach (var trace in traces)
        {
            count += trace.SpanCount;
        }

        var records = ArrayPool<Record>.Shared.Rent(Math.Max(1, count));
        var sorted = ArrayPool<Record>.Shared.Rent(Math.Max(1, count));
        var groups = new List<Group>();
        byte[]? buffer = null;
        try
        {
            // 1. Every record with its group (scope), groups numbered in first-seen order.
            var n = 0;
            foreach (var trace in traces)
            {
                var chunk = trace.HeadChunk;
                var offset = trace.HeadOffset;
                while (chunk >= 0)
                {
                    var bytes = arena.Read(chunk, offset, out var scopeId, out var nextChunk, out var nextOffset);
                    if (!_groupOfScope.TryGetValue(scopeId, out var g))
                    {
                        g = groups.Count;
                        _groupOfScope.Add(scopeId, g);
                        var resourceId = scopes.ResourceOf(scopeId);
                        if (!_resourceIndex.TryGetValue(resourceId, out var r))
                        {
                            r = _resourceIndex.Count;
                            _resourceIndex.Add(resourceId, r);
                        }

                        groups.Add(new Group { Scope = scopeId, Resource = resourceId, ResourceOrder = r });
                    }

                    var group = groups[g];
                    group.Spans++;
                    group.SpanBytes += 1 + VarintSize((uint)bytes.Length) + bytes.Length;
                    groups[g] = group;
                    records[n++] = new Record(g, chunk, offset);
                    chunk = nextChunk;
                    offset = nextOffset;
                }
            }

            // 2. Groups ordered by resource (first-seen), then first-seen: a stable sort by resource order.
            var order = new int[groups.Count];
            for (var i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }

            Array.Sort(order, (a, b) => groups[a].ResourceOrder != groups[b].ResourceOrder ? groups[a].ResourceOrder.CompareTo(groups[b].ResourceOrder) : a.CompareTo(b));

            // 3. Records by group (a counting sort keeps their order within a group).
            var start = new int[groups.Count];
            var position = 0;
            foreach (var g in order)
            {
                start[g] = position;
                position += groups[g].Spans;
            }

            for (var i = 0; i < n; i++)
            {
                sorted[start[records[i].Group]++] = records[i];
            }

            // 4. Sizes, innermost first.
            var bodies = new int[groups.Count];
            var resourceBodies = new int[_resourceIndex.Count];
            foreach (var g in order)
            {
                scopes.ScopeFields(groups[g].Scope, out var head, out var tail);
                bodies[g] = head.Length + groups[g].SpanBytes + tail.Length;
                resourceBodies[groups[g].ResourceOrder] += 1 + VarintSize((uint)bodies[g]) + bodies[g];
            }

            size = 0;
            foreach (var (resourceId, r) in _resourceIndex)
            {
                scopes.ResourceFields(resourceId, out var head, out var tail);
                resourceBodies[r] += head.Length + tail.Length;
                size += 1 + VarintSize((uint)resourceBodies[r]) + resourceBodies[r];
            }

            // 5. The bytes.
            buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, size));
            var at = 0;
            var next = 0;
            var k = 0;
            while (k < order.Length)
            {
                var r = groups[order[k]].ResourceOrder;
                var resourceId = groups[order[k]].Resource;
                scopes.ResourceFields(resourceId, out var resourceHead, out var resourceTail);
                buffer[at++] = ResourceSpansTag;
                at = WriteVarint(buffer, at, (uint)resourceBodies[r]);
                resourceHead.CopyTo(buffer.AsSpan(at));
                at += resourceHead.Length;
                for (; k < order.Length && groups[order[k]].ResourceOrder == r; k++)
                {
                    var g = order[k];
                    scopes.ScopeFields(groups[g].Scope, out var scopeHead, out var scopeTail);
                    buffer[at++] = ScopeSpansTag;
                    at = WriteVarint(buffer, at, (uint)bodies[g]);
                    scopeHead.CopyTo(buffer.AsSpan(at));
                    at += scopeHead.Length;
                    for (var s = 0; s < groups[g].Spans; s++, next++)
                    {
                        var bytes = arena.Read(sorted[next].Chunk, sorted[next].Offset, out _, out _, out _);
                        buffer[at++] = SpanTag;
                        at = WriteVarint(buffer, at, (uint)bytes.Length);
                        bytes.CopyTo(buffer.AsSpan(at));
                        at += bytes.Length;
                    }

                    scopeTail.CopyTo(buffer.AsSpan(at));
                    at += scopeTail.Length;
                }

                resourceTail.CopyTo(buffer.AsSpan(at));
                at += resourceTail.Length;
            }

            if (at != size)
            {
                throw new InvalidOperationException($"Held traces encoded to {at} bytes, {size} expected.");
            }

            var encoded = buffer;
            buffer = null;
            return encoded;
        }
        finally
        {
            _groupOfScope.Clear();
            _resourceIndex.Clear();
            ArrayPool<Record>.Shared.Return(records);
            ArrayPool<Record>.Shared.Return(sorted);
            if (buffer is not null)
            {
                // Only when encoding failed.
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static int VarintSize(uint value) => value < 1u << 7 ? 1 : value < 1u << 14 ? 2 : value < 1u << 21 ? 3 : value < 1u << 28 ? 4 : 5;

    private static int WriteVarint(byte[] buffer, int at, uint value)
    {
        while (value >= 0x80)
        {
            buffer[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        buffer[at++] = (byte)value;
        return at;
    }

    private readonly record struct Record(int Group, int Chunk, int Offset);

    private struct Group
    {
        public int Scope;
        public int Resource;
        public int ResourceOrder;
        public int Spans;
        public int SpanBytes;
    }
}
