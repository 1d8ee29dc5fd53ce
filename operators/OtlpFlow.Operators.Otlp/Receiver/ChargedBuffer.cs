using System.Buffers;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Operators.Otlp.Receiver;

/// <summary>How filling a <see cref="ChargedBuffer"/> ended.</summary>
internal enum BufferFill
{
    /// <summary>The source ended (or, for an exact read, the expected bytes arrived).</summary>
    Complete,

    /// <summary>An exact read: the source ended before the expected bytes arrived.</summary>
    Truncated,

    /// <summary>The source has more than the maximum.</summary>
    TooLarge,

    /// <summary>The memory budget could not cover the next chunk.</summary>
    OverBudget,
}

/// <summary>
/// A request body read incrementally into pooled chunks that are added as bytes arrive, each chunk
/// charged to the pipeline's <see cref="MemoryBudget"/> before it is rented. Nothing a header claims
/// is allocated ahead of the bytes, so refusing a request costs no more than what it sent; nothing is
/// copied to grow, so a large body leaves no trail of garbage arrays; and the budget sees every
/// buffer a receiver holds. Disposing returns the chunks and releases the charge.
/// </summary>
internal sealed class ChargedBuffer(MemoryBudget budget) : IDisposable
{
    private const int FirstChunk = 16 * 1024;
    // Below the large-object threshold (85,000 bytes): a refused body's chunks are garbage that a
    // young collection returns, where large-object chunks would wait for a full one while the
    // budget, already released, lets the next bomb allocate more.
    private const int LargestChunk = 64 * 1024;

    // A pool of its own that keeps few arrays: the shared pool keeps up to 32 arrays of each size per
    // core, which after a burst stays on the heap as memory no request holds, and the memory guard,
    // which reads the heap, would then refuse every request for good. Arrays past what this pool
    // keeps are garbage the guard's collections return.
    private static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(LargestChunk, maxArraysPerBucket: 16);

    private readonly List<byte[]> _chunks = [];
    private long _charged;
    private int _lastUsed;
    private int _nextChunk = FirstChunk;

    /// <summary>Bytes held.</summary>
    public long Length { get; private set; }

    /// <summary>The bytes held, as one sequence over the chunks; valid until disposed.</summary>
    public ReadOnlySequence<byte> Sequence
    {
        get
        {
            if (_chunks.Count == 0)
            {
                return ReadOnlySequence<byte>.Empty;
            }

            if (_chunks.Count == 1)
            {
                return new ReadOnlySequence<byte>(_chunks[0], 0, _lastUsed);
            }

            var first = new Segment(_chunks[0].AsMemory(), 0);
            var last = first;
            for (var i = 1; i < _chunks.Count; i++)
            {
                var memory = i == _chunks.Count - 1 ? _chunks[i].AsMemory(0, _lastUsed) : _chunks[i].AsMemory();
                last = last.Append(memory);
            }

            return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        }
    }

    /// <summary>
    /// Reads <paramref name="source"/> to its end, or exactly <paramref name="max"/> bytes when
    /// <paramref name="exact"/>. Without <paramref name="exact"/>, a source longer than
    /// <paramref name="max"/> is <see cref="BufferFill.TooLarge"/>, found out after at most one byte more.
    /// <paramref name="sizeHint"/> (a Content-Length or a frame header, 0 when unknown) only sizes the
    /// first chunk, never past 16 KiB: a claim is not bytes.
    /// </summary>
    public async Task<BufferFill> FillAsync(Stream source, long max, bool exact, long sizeHint, CancellationToken cancellationToken)
    {
        _nextChunk = sizeHint > 0 ? (int)Math.Clamp(sizeHint, 64, FirstChunk) : FirstChunk;
        while (true)
        {
            if (Length >= max)
            {
                if (exact)
                {
                    return BufferFill.Complete;
                }

                var probe = new byte[1];
                return await source.ReadAsync(probe, cancellationToken).ConfigureAwait(false) == 0 ? BufferFill.Complete : BufferFill.TooLarge;
            }

            if ((_chunks.Count == 0 || _lastUsed == _chunks[^1].Length) && !TryAddChunk())
            {
                return BufferFill.OverBudget;
            }

            var chunk = _chunks[^1];
            var room = (int)Math.Min(chunk.Length - _lastUsed, max - Length);
            var read = await source.ReadAsync(chunk.AsMemory(_lastUsed, room), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return exact ? BufferFill.Truncated : BufferFill.Complete;
            }

            _lastUsed += read;
            Length += read;
        }
    }

    /// <summary>Charges memory held alongside the bytes (a decompressor's window) until disposed; false when the budget refuses.</summary>
    public bool TryCharge(long bytes)
    {
        if (!budget.TryReserve(bytes))
        {
            return false;
        }

        _charged += bytes;
        return true;
    }

    /// <summary>Returns the chunks and their charge.</summary>
    public void Dispose()
    {
        foreach (var chunk in _chunks)
        {
            Pool.Return(chunk);
        }

        _chunks.Clear();
        Length = 0;
        _lastUsed = 0;
        if (_charged > 0)
        {
            budget.Release(_charged);
            _charged = 0;
        }
    }

    private bool TryAddChunk()
    {
        // Chunks double from the first up to 1 MiB, so a small body costs one small chunk.
        // The pool hands out powers of two: charge what it will hand out.
        var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)_nextChunk);
        if (!budget.TryReserve(size))
        {
            return false;
        }

        _charged += size;
        _chunks.Add(Pool.Rent(size));
        _lastUsed = 0;
        _nextChunk = Math.Min(size * 2, LargestChunk);
        return true;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
