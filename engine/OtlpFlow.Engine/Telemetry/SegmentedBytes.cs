using System.Buffers;
using Google.Protobuf;

namespace OtlpFlow.Engine.Telemetry;

/// <summary>
/// Bytes written into arrays of at most <see cref="SegmentSize"/> bytes, below the large-object
/// threshold: an encoded batch that waits on an edge is then ordinary young memory, copied once
/// or twice by the collector, instead of a large object whose allocations force full collections.
/// </summary>
public sealed class SegmentedBytes : IBufferWriter<byte>
{
    /// <summary>The size of a segment: 64 KiB, under the 85,000-byte large-object threshold.</summary>
    public const int SegmentSize = 64 * 1024;

    /// <summary>At most this many free segments (32 MiB) wait in the pool; more are left to the collector.</summary>
    private const int MaxPooled = 512;

    private static readonly System.Collections.Concurrent.ConcurrentBag<byte[]> Pool = [];
    private static int _pooled;
    private readonly List<byte[]> _segments = [];
    private readonly List<int> _filled = [];
    private readonly bool _pooledSegments;
    private int _used;

    /// <summary>
    /// A writer of new segments, or (<paramref name="pooled"/>) of segments rented from a shared pool,
    /// to be given back with <see cref="Return"/> once nobody reads them.
    /// </summary>
    public SegmentedBytes(bool pooled = false) => _pooledSegments = pooled;

    /// <summary>The segments written (for <see cref="Return"/>).</summary>
    internal IReadOnlyList<byte[]> Segments => _segments;

    /// <summary>Gives rented segments back to the pool.</summary>
    internal static void Return(IReadOnlyList<byte[]> segments)
    {
        foreach (var segment in segments)
        {
            if (segment.Length != SegmentSize)
            {
                continue;
            }

            if (Interlocked.Increment(ref _pooled) <= MaxPooled)
            {
                Pool.Add(segment);
            }
            else
            {
                Interlocked.Decrement(ref _pooled);
            }
        }
    }

    /// <summary>Bytes written so far.</summary>
    public long Length { get; private set; }

    /// <summary>The protobuf encoding of <paramref name="message"/>.</summary>
    public static ReadOnlySequence<byte> Encode(IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var writer = new SegmentedBytes();
        message.WriteTo(writer);
        return writer.ToSequence();
    }

    /// <summary>A copy of <paramref name="bytes"/>.</summary>
    public static ReadOnlySequence<byte> Copy(ReadOnlySpan<byte> bytes)
    {
        var writer = new SegmentedBytes();
        writer.Write(bytes);
        return writer.ToSequence();
    }

    /// <inheritdoc />
    public void Advance(int count)
    {
        _used += count;
        Length += count;
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0) => Room(sizeHint).AsMemory(_used);

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0) => Room(sizeHint).AsSpan(_used);

    /// <summary>The bytes written, as a sequence over the segments (no copy).</summary>
    public ReadOnlySequence<byte> ToSequence()
    {
        if (_segments.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        if (_segments.Count == 1)
        {
            return new ReadOnlySequence<byte>(_segments[0], 0, _used);
        }

        // A segment left for a larger request than its free end holds was filled only in part.
        var first = new Segment(_segments[0], _filled[0], 0);
        var last = first;
        for (var i = 1; i < _segments.Count; i++)
        {
            last = last.Append(_segments[i], i == _segments.Count - 1 ? _used : _filled[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private byte[] Room(int sizeHint)
    {
        var need = Math.Max(1, sizeHint);
        if (_segments.Count > 0 && _segments[^1].Length - _used >= need)
        {
            return _segments[^1];
        }

        if (_segments.Count > 0)
        {
            _filled.Add(_used);
        }

        // A hint larger than a segment (a caller that needs one contiguous span) gets its own array.
        byte[]? segment = null;
        if (_pooledSegments && need <= SegmentSize && Pool.TryTake(out segment))
        {
            Interlocked.Decrement(ref _pooled);
        }

        _segments.Add(segment ?? GC.AllocateUninitializedArray<byte>(Math.Max(need, SegmentSize)));
        _used = 0;
        return _segments[^1];
    }

    /// <summary>Appends <paramref name="bytes"/>.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var room = GetSpan();
            var n = Math.Min(room.Length, bytes.Length);
            bytes[..n].CopyTo(room);
            Advance(n);
            bytes = bytes[n..];
        }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] array, int length, long runningIndex)
        {
            Memory = array.AsMemory(0, length);
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] array, int length)
        {
            var next = new Segment(array, length, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
