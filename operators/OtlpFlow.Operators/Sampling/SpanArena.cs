using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// Where <c>sampling.tail</c> keeps the spans it holds: each span's protobuf encoding, written once
/// on arrival into large byte chunks, so that a held span costs its encoded bytes plus a small header
/// instead of a graph of some twenty objects that the GC would promote to gen2 and trace for as long
/// as the span is held.
/// </summary>
/// <remarks>
/// <para>A record is a 16-byte header — the next record of the same trace (chunk, offset), the span's
/// interned scope id, the encoded length — followed by the encoding. A trace is a linked list of its
/// records, so holding a span allocates nothing on the managed heap.</para>
/// <para>Each chunk counts its live records; when the last one is released the chunk's bytes stop
/// counting and the chunk returns to a small free list. Its data stays readable until
/// <see cref="Reclaim"/>, so that the sampler can release a trace first (freeing room) and build its
/// output afterwards. Decisions are roughly first-in first-out, so chunks empty in the order they
/// filled; <see cref="HeldBytes"/> counts whole chunks (including partly used and partly released
/// ones), which is what the process really holds. Not thread-safe: used under the sampler's lock.</para>
/// </remarks>
internal sealed class SpanArena : IBufferWriter<byte>
{
    /// <summary>Bytes of a record's header.</summary>
    public const int HeaderSize = 16;

    private const int MaxFreeChunks = 16;
    private Chunk[] _chunks = new Chunk[16];
    private readonly Stack<int> _freeIds = new();
    private readonly Stack<byte[]> _freeBuffers = new();
    private readonly List<int> _pending = [];
    private int _chunkCount;
    private int _current = -1;
    private int _recordStart;

    /// <summary>Creates an arena of chunks of <paramref name="chunkSize"/> bytes.</summary>
    public SpanArena(int chunkSize) => ChunkSize = chunkSize;

    /// <summary>The size of a regular chunk; a larger span gets a chunk of its own size.</summary>
    public int ChunkSize { get; }

    /// <summary>Bytes of the chunks that hold at least one live record.</summary>
    public long HeldBytes { get; private set; }

    /// <summary>Bytes of live records (headers and encodings): <see cref="HeldBytes"/> less free space and released records.</summary>
    public long LiveBytes { get; private set; }

    /// <summary>Chunks holding at least one live record.</summary>
    public int HeldChunks { get; private set; }

    /// <summary>The chunk size for a budget of <paramref name="maxBytes"/>: 1 MiB, less for small budgets so that a budget holds at least 32 chunks.</summary>
    public static int ChunkSizeFor(long maxBytes)
    {
        var size = 1 << 20;
        while (size > 4096 && (long)size * 32 > maxBytes)
        {
            size >>= 1;
        }

        return size;
    }

    /// <summary>
    /// Writes a span in one pass (the arena is the protobuf writer's buffer, so its size is not
    /// computed beforehand); returns its encoded length and where its record starts.
    /// </summary>
    public int Write(Span span, int scopeId, out int chunk, out int offset)
    {
        Begin();

        // May move the record to a new chunk when it does not fit (GetSpan).
        span.WriteTo(this);
        return End(scopeId, out chunk, out offset);
    }

    /// <summary>Writes a span given as its encoding (copied as is); returns its length and where its record starts.</summary>
    public int Write(ReadOnlySpan<byte> encodedSpan, int scopeId, out int chunk, out int offset)
    {
        Begin();
        IBufferWriter<byte> writer = this;
        encodedSpan.CopyTo(writer.GetSpan(encodedSpan.Length));
        writer.Advance(encodedSpan.Length);
        return End(scopeId, out chunk, out offset);
    }

    private void Begin()
    {
        if (_current < 0 || _chunks[_current].Data.Length - _chunks[_current].Used < HeaderSize + 64)
        {
            _current = Rent(ChunkSize);
        }

        _recordStart = _chunks[_current].Used;
        _chunks[_current].Used += HeaderSize;
    }

    private int End(int scopeId, out int chunk, out int offset)
    {
        chunk = _current;
        offset = _recordStart;
        ref var c = ref _chunks[chunk];
        var length = c.Used - offset - HeaderSize;
        var header = c.Data.AsSpan(offset, HeaderSize);
        BinaryPrimitives.WriteInt32LittleEndian(header, -1);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], 0);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], scopeId);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], length);
        c.Live++;
        LiveBytes += HeaderSize + length;
        return length;
    }

    /// <inheritdoc />
    void IBufferWriter<byte>.Advance(int count) => _chunks[_current].Used += count;

    /// <inheritdoc />
    Memory<byte> IBufferWriter<byte>.GetMemory(int sizeHint) => Room(sizeHint).Data.AsMemory(_chunks[_current].Used);

    /// <inheritdoc />
    Span<byte> IBufferWriter<byte>.GetSpan(int sizeHint) => Room(sizeHint).Data.AsSpan(_chunks[_current].Used);

    /// <summary>The current chunk with room for <paramref name="sizeHint"/> more bytes (at least one), the record being written moved to a new chunk if needed.</summary>
    private ref Chunk Room(int sizeHint)
    {
        ref var c = ref _chunks[_current];
        var need = Math.Max(1, sizeHint);
        if (c.Data.Length - c.Used >= need)
        {
            return ref c;
        }

        // The record so far moves to the start of a new chunk (of its own when larger than a chunk).
        var written = c.Used - _recordStart;
        var old = _current;
        _current = Rent(written + need <= ChunkSize ? ChunkSize : Math.Max(ChunkSize, 2 * (written + need)));
        ref var moved = ref _chunks[_current];
        _chunks[old].Data.AsSpan(_recordStart, written).CopyTo(moved.Data);
        moved.Used = written;
        _chunks[old].Used = _recordStart;
        if (_chunks[old].Live == 0)
        {
            // It held nothing but the start of this record.
            Free(old);
        }

        _recordStart = 0;
        return ref moved;
    }

    /// <summary>Links the record at (<paramref name="chunk"/>, <paramref name="offset"/>) to the next record of its trace.</summary>
    public void Link(int chunk, int offset, int nextChunk, int nextOffset)
    {
        var header = _chunks[chunk].Data.AsSpan(offset, 8);
        BinaryPrimitives.WriteInt32LittleEndian(header, nextChunk);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], nextOffset);
    }

    /// <summary>Reads a record: the span's encoding, its scope and the next record of its trace (chunk −1 at the end).</summary>
    public ReadOnlySpan<byte> Read(int chunk, int offset, out int scopeId, out int nextChunk, out int nextOffset)
    {
        var data = _chunks[chunk].Data;
        var header = data.AsSpan(offset, HeaderSize);
        nextChunk = BinaryPrimitives.ReadInt32LittleEndian(header);
        nextOffset = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        scopeId = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        var length = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        return data.AsSpan(offset + HeaderSize, length);
    }

    /// <summary>
    /// Releases one record. When its chunk has no live record left the chunk stops counting, but its
    /// data stays readable until <see cref="Reclaim"/>.
    /// </summary>
    public void Release(int chunk, int length)
    {
        ref var c = ref _chunks[chunk];
        LiveBytes -= HeaderSize + length;
        if (--c.Live == 0)
        {
            HeldBytes -= c.Data.Length;
            HeldChunks--;
            if (_current == chunk)
            {
                _current = -1;
            }

            _pending.Add(chunk);
        }
    }

    /// <summary>Returns the chunks emptied since the last call to the free list (their data may then be overwritten).</summary>
    public void Reclaim()
    {
        foreach (var id in _pending)
        {
            if (_chunks[id].Live == 0)
            {
                Recycle(id);
            }
        }

        _pending.Clear();
    }

    /// <summary>Frees a chunk that never held a live record (no reader can be looking at it).</summary>
    private void Free(int id)
    {
        HeldBytes -= _chunks[id].Data.Length;
        HeldChunks--;
        Recycle(id);
    }

    private void Recycle(int id)
    {
        ref var c = ref _chunks[id];
        if (c.Data.Length == ChunkSize && _freeBuffers.Count < MaxFreeChunks)
        {
            _freeBuffers.Push(c.Data);
        }

        c = default;
        _freeIds.Push(id);
    }

    private int Rent(int size)
    {
        var data = size == ChunkSize && _freeBuffers.TryPop(out var buffer) ? buffer : new byte[size];
        if (!_freeIds.TryPop(out var id))
        {
            id = _chunkCount++;
            if (id == _chunks.Length)
            {
                Array.Resize(ref _chunks, _chunks.Length * 2);
            }
        }

        _chunks[id] = new Chunk { Data = data };
        HeldBytes += data.Length;
        HeldChunks++;
        return id;
    }

    private struct Chunk
    {
        public byte[] Data;
        public int Used;
        public int Live;
    }
}
