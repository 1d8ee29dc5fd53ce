using OtlpFlow.Operators.Otlp.Protocol;

namespace OtlpFlow.Operators.Otlp.Receiver;

/// <summary>Reading and decompressing request bodies into charged buffers, shared by gRPC and HTTP.</summary>
internal static class RequestBodies
{
    /// <summary>The answer to a body that could not be read whole.</summary>
    public static ReceiveOutcome Refusal(BufferFill fill, long limit, TimeSpan retryAfter) => fill switch
    {
        BufferFill.TooLarge => new ReceiveOutcome(ReceiveStatus.TooLarge, new PayloadTooLargeException(limit).Message),
        BufferFill.OverBudget => new ReceiveOutcome(ReceiveStatus.Throttled, "the pipeline is over its memory limit; retry later", RetryAfter: retryAfter),
        _ => new ReceiveOutcome(ReceiveStatus.InvalidArgument, "the request is truncated"),
    };

    /// <summary>The longest a refused request's unread body is drained for.</summary>
    private static readonly TimeSpan DrainTime = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Reads and discards what is left of a refused request's body (at most <paramref name="limit"/>
    /// bytes, for at most a few seconds), so that the answer ends a stream the client has finished.
    /// Refusing while the client still sends makes HTTP/2 reset the stream, and a server that resets
    /// many streams on one connection is told off with ENHANCE_YOUR_CALM: the client would get that
    /// instead of the throttling answer. Draining holds no memory: one small buffer, reused. A body
    /// that sends nothing for <paramref name="idleTimeout"/> is not waited for.
    /// </summary>
    public static async Task DrainAsync(Stream body, long limit, TimeSpan idleTimeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DrainTime);
        using var idle = new IdleTimeoutStream(body, idleTimeout, time);
        try
        {
            long drained = 0;
            int read;
            while (drained < limit && (read = await idle.ReadAsync(buffer, timeout.Token).ConfigureAwait(false)) > 0)
            {
                drained += read;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or Microsoft.AspNetCore.Http.BadHttpRequestException or InvalidOperationException)
        {
            // The client went away, stalled, or the body was already consumed: nothing more to drain.
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Decompresses <paramref name="compressed"/> into <paramref name="into"/>, whose growth is
    /// charged to the budget as the output grows, up to <paramref name="limit"/> bytes.
    /// Returns null on success, else the answer for the client.
    /// </summary>
    public static async Task<ReceiveOutcome?> DecompressAsync(ChargedBuffer compressed, PayloadCompression compression, long limit, ChargedBuffer into,
        string noun, TimeSpan retryAfter, CancellationToken cancellationToken)
    {
        try
        {
            // A zstd decoder's window is memory too: charged before the decoder allocates it.
            if (compression == PayloadCompression.Zstd && !into.TryCharge(PayloadCodec.ZstdDecoderMemory))
            {
                return Refusal(BufferFill.OverBudget, limit, retryAfter);
            }

            var source = new SequenceStream(compressed.Sequence);
            await using var decoded = PayloadCodec.Decompressor(source, compression);
            var fill = await into.FillAsync(decoded, limit, exact: false, compressed.Length * 4, cancellationToken).ConfigureAwait(false);
            if (fill != BufferFill.Complete)
            {
                return Refusal(fill, limit, retryAfter);
            }

            return compression == PayloadCompression.Gzip && !EndsWithItsTrailer(compressed.Sequence, into.Sequence)
                ? new ReceiveOutcome(ReceiveStatus.InvalidArgument,
                    $"the gzip {noun} has bytes after its end (or is several gzip members): its last 8 bytes are not the CRC-32 and length of what it decompresses to")
                : null;
        }
        catch (ZstdSharp.ZstdException ex)
        {
            return new ReceiveOutcome(ReceiveStatus.InvalidArgument, $"the {PayloadCodec.Name(compression)} {noun} cannot be decompressed: {ex.Message}");
        }
        catch (InvalidDataException ex)
        {
            return new ReceiveOutcome(ReceiveStatus.InvalidArgument, $"the {PayloadCodec.Name(compression)} {noun} cannot be decompressed: {ex.Message}");
        }
    }

    /// <summary>
    /// True when a gzip body ends with its member's trailer: the CRC-32 and the length (mod 2^32) of
    /// <paramref name="decompressed"/>. .NET's decompressor stops quietly at the end of the gzip data
    /// and ignores whatever follows; this is how bytes appended to a body are caught.
    /// </summary>
    private static bool EndsWithItsTrailer(System.Buffers.ReadOnlySequence<byte> compressed, System.Buffers.ReadOnlySequence<byte> decompressed)
    {
        if (compressed.Length < 18)
        {
            return false;
        }

        Span<byte> trailer = stackalloc byte[8];
        System.Buffers.BuffersExtensions.CopyTo(compressed.Slice(compressed.Length - 8), trailer);
        if (System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]) != (uint)decompressed.Length)
        {
            return false;
        }

        var crc = new System.IO.Hashing.Crc32();
        foreach (var segment in decompressed)
        {
            crc.Append(segment.Span);
        }

        return crc.GetCurrentHashAsUInt32() == System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer);
    }

    /// <summary>A read-only stream over a sequence of bytes, to feed a decompressor without copying.</summary>
    private sealed class SequenceStream(System.Buffers.ReadOnlySequence<byte> sequence) : Stream
    {
        private System.Buffers.ReadOnlySequence<byte> _rest = sequence;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var take = (int)Math.Min(buffer.Length, _rest.Length);
            System.Buffers.BuffersExtensions.CopyTo(_rest.Slice(0, take), buffer);
            _rest = _rest.Slice(take);
            return take;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
