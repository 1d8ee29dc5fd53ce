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
            var source = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(compressed.Memory, out var segment)
                ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
                : new MemoryStream(compressed.Memory.ToArray(), writable: false);
            await using var decoded = PayloadCodec.Decompressor(source, compression);
            var fill = await into.FillAsync(decoded, limit, exact: false, compressed.Length * 4L, cancellationToken).ConfigureAwait(false);
            return fill == BufferFill.Complete ? null : Refusal(fill, limit, retryAfter);
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
}
