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
/// A request body read incrementally into a buffer that grows as bytes arrive, each growth charged
/// to the pipeline's <see cref="MemoryBudget"/> before it is allocated. Nothing a header claims is
/// allocated ahead of the bytes, so refusing a request costs no more than what it sent, and the
/// budget sees every buffer a receiver holds. Disposing releases the charge.
/// </summary>
internal sealed class ChargedBuffer(MemoryBudget budget) : IDisposable
{
    private const int FirstCapacity = 16 * 1024;

    // Doubling up to here, then growing by this much: a 64 MiB body is never held as 64 + 128 MiB.
    private const int LargestStep = 8 * 1024 * 1024;

    private byte[] _array = [];
    private long _charged;
    private int _firstCapacity = FirstCapacity;

    /// <summary>Bytes held.</summary>
    public int Length { get; private set; }

    /// <summary>The bytes held.</summary>
    public ReadOnlyMemory<byte> Memory => _array.AsMemory(0, Length);

    /// <summary>The bytes held.</summary>
    public ReadOnlySpan<byte> Span => _array.AsSpan(0, Length);

    /// <summary>
    /// Reads <paramref name="source"/> to its end, or exactly <paramref name="max"/> bytes when
    /// <paramref name="exact"/>. Without <paramref name="exact"/>, a source longer than
    /// <paramref name="max"/> is <see cref="BufferFill.TooLarge"/>, found out after at most one byte more.
    /// <paramref name="sizeHint"/> (a Content-Length or a frame header, 0 when unknown) only sizes the
    /// first allocation, never past 16 KiB: a claim is not bytes.
    /// </summary>
    public async Task<BufferFill> FillAsync(Stream source, long max, bool exact, long sizeHint, CancellationToken cancellationToken)
    {
        max = Math.Min(max, Array.MaxLength);
        _firstCapacity = sizeHint > 0 ? (int)Math.Clamp(sizeHint, 64, FirstCapacity) : FirstCapacity;
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

            if (Length == _array.Length && !TryGrow(max))
            {
                return BufferFill.OverBudget;
            }

            var room = (int)Math.Min(_array.Length - Length, max - Length);
            var read = await source.ReadAsync(_array.AsMemory(Length, room), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return exact ? BufferFill.Truncated : BufferFill.Complete;
            }

            Length += read;
        }
    }

    /// <summary>Drops the bytes and returns their charge.</summary>
    public void Dispose()
    {
        _array = [];
        Length = 0;
        if (_charged > 0)
        {
            budget.Release(_charged);
            _charged = 0;
        }
    }

    private bool TryGrow(long max)
    {
        var capacity = _array.Length == 0 ? _firstCapacity : Math.Min(_array.Length * 2L, _array.Length + (long)LargestStep);
        capacity = Math.Min(capacity, max);

        // The new array is charged before it exists; the old one until it is copied and dropped.
        if (!budget.TryReserve(capacity))
        {
            return false;
        }

        var grown = new byte[capacity];
        _array.AsSpan(0, Length).CopyTo(grown);
        var old = _array.Length;
        _array = grown;
        _charged += capacity;
        if (old > 0)
        {
            budget.Release(old);
            _charged -= old;
        }

        return true;
    }
}
