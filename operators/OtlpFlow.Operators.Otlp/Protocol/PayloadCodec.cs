using System.IO.Compression;

namespace OtlpFlow.Operators.Otlp.Protocol;

/// <summary>Reads (decompressing under a size limit) and compresses request bodies.</summary>
internal static class PayloadCodec
{
    private const int ChunkSize = 16 * 1024;

    /// <summary>The compression named by a <c>Content-Encoding</c> or <c>grpc-encoding</c> value; false when unknown.</summary>
    public static bool TryParse(string? encoding, out PayloadCompression compression)
    {
        switch (encoding?.Trim().ToLowerInvariant())
        {
            case null or "" or "identity":
                compression = PayloadCompression.None;
                return true;
            case "gzip" or "x-gzip":
                compression = PayloadCompression.Gzip;
                return true;
            case "deflate":
                compression = PayloadCompression.Deflate;
                return true;
            case "zstd":
                compression = PayloadCompression.Zstd;
                return true;
            default:
                compression = PayloadCompression.None;
                return false;
        }
    }

    /// <summary>The header value naming a compression.</summary>
    public static string Name(PayloadCompression compression) => compression switch
    {
        PayloadCompression.Gzip => "gzip",
        PayloadCompression.Deflate => "deflate",
        PayloadCompression.Zstd => "zstd",
        _ => "identity",
    };

    /// <summary>
    /// Reads a whole body, decompressing it. Neither the compressed input nor the decompressed
    /// output may pass <paramref name="limit"/> bytes: reading stops at the first chunk past it, so
    /// a decompression bomb costs at most the limit plus one chunk of memory.
    /// </summary>
    /// <exception cref="PayloadTooLargeException">The body is larger than the limit.</exception>
    /// <exception cref="InvalidDataException">The compressed data is corrupt.</exception>
    public static async Task<byte[]> ReadAsync(Stream body, PayloadCompression compression, long limit, CancellationToken cancellationToken)
    {
        var limited = new LimitedReadStream(body, limit);
        await using var decoded = Decompressor(limited, compression);
        using var output = new MemoryStream();
        var chunk = new byte[ChunkSize];
        try
        {
            int read;
            while ((read = await decoded.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (output.Length + read > limit)
                {
                    throw new PayloadTooLargeException(limit);
                }

                output.Write(chunk, 0, read);
            }
        }
        catch (ZstdSharp.ZstdException ex)
        {
            throw new InvalidDataException($"the zstd data is corrupt: {ex.Message}", ex);
        }

        return output.ToArray();
    }

    /// <summary>Decompresses bytes already in memory under the same limit.</summary>
    public static Task<byte[]> DecompressAsync(ReadOnlyMemory<byte> data, PayloadCompression compression, long limit, CancellationToken cancellationToken)
    {
        var source = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);
        return ReadAsync(source, compression, long.Max(limit, data.Length), cancellationToken);
    }

    /// <summary>Compresses bytes for sending.</summary>
    public static byte[] Compress(ReadOnlySpan<byte> data, PayloadCompression compression)
    {
        if (compression == PayloadCompression.None)
        {
            return data.ToArray();
        }

        if (compression == PayloadCompression.Zstd)
        {
            using var zstd = new ZstdSharp.Compressor();
            return zstd.Wrap(data).ToArray();
        }

        using var output = new MemoryStream();
        using (Stream compressor = compression == PayloadCompression.Gzip
            ? new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)
            : new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            compressor.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>A stream that decompresses <paramref name="source"/>.</summary>
    public static Stream Decompressor(Stream source, PayloadCompression compression) => compression switch
    {
        PayloadCompression.Gzip => new GZipStream(source, CompressionMode.Decompress),
        PayloadCompression.Deflate => new ZLibStream(source, CompressionMode.Decompress),
        PayloadCompression.Zstd => ZstdDecompressor(source),
        _ => source,
    };

    /// <summary>
    /// The largest zstd window a decoder accepts, as a power of two: 8 MiB, the size the zstd format
    /// recommends every decoder support. A frame may ask for up to 2 GiB of window, allocated before
    /// any output; past this the frame is refused as corrupt.
    /// </summary>
    public const int ZstdWindowLogMax = 23;

    /// <summary>What a zstd decoder may allocate for its window and block buffers, for budget charges.</summary>
    public const long ZstdDecoderMemory = (1L << ZstdWindowLogMax) + (256 * 1024);

    private static Stream ZstdDecompressor(Stream source)
    {
        var stream = new ZstdSharp.DecompressionStream(source);
        stream.SetParameter(ZstdSharp.Unsafe.ZSTD_dParameter.ZSTD_d_windowLogMax, ZstdWindowLogMax);
        return stream;
    }
}
