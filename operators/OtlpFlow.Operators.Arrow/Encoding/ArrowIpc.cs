using Apache.Arrow.Ipc;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>IPC settings for a compression choice.</summary>
internal static class ArrowIpc
{
    /// <summary>The codecs of Apache.Arrow.Compression (LZ4 frame and Zstandard); stateless.</summary>
    public static ICompressionCodecFactory Codecs { get; } = new Apache.Arrow.Compression.CompressionCodecFactory();

    public static IpcOptions Options(ArrowCompression compression, int? level) => new()
    {
        CompressionCodec = compression switch
        {
            ArrowCompression.Lz4 => CompressionCodecType.Lz4Frame,
            ArrowCompression.Zstd => CompressionCodecType.Zstd,
            _ => null,
        },
        CompressionCodecFactory = compression is ArrowCompression.Lz4 or ArrowCompression.Zstd ? Codecs : null,
        CompressionLevel = level,
    };
}
