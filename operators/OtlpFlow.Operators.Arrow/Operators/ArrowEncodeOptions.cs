using System.ComponentModel.DataAnnotations;
using OtlpFlow.Engine.Options;
using OtlpFlow.Operators.Arrow.Encoding;

namespace OtlpFlow.Operators.Arrow.Operators;

/// <summary>Options of <c>arrow.encode</c>.</summary>
public sealed class ArrowEncodeOptions
{
    /// <summary>
    /// Compression: <c>none</c>, <c>lz4</c> or <c>zstd</c> (each IPC buffer), <c>zstdMessage</c>
    /// (the whole message as one zstd frame) or <c>zstdStream</c> (one zstd stream through the
    /// whole stream of messages; they must be decoded in order). Default <c>zstd</c>.
    /// </summary>
    public ArrowCompression Compression { get; set; } = ArrowCompression.Zstd;

    /// <summary>Compression level; 0 uses the codec's default. Default 0.</summary>
    [Range(0, 22)]
    public int CompressionLevel { get; set; }

    /// <summary>Entries a stream dictionary may hold before it is reset. Default 65536.</summary>
    [Range(1, int.MaxValue)]
    public int DictionaryMaxEntries { get; set; } = 65_536;

    /// <summary>Characters a stream dictionary may hold before it is reset. Default 4194304.</summary>
    [Range(1, long.MaxValue)]
    public long DictionaryMaxChars { get; set; } = 4L * 1024 * 1024;

    /// <summary>Arrow memory in use above which the operator waits before encoding more. Default <c>"64MiB"</c>.</summary>
    public ByteSize MemoryLimit { get; set; } = ByteSize.FromMiB(64);

    internal ArrowEncoderOptions ToEncoderOptions() => new()
    {
        Compression = Compression,
        CompressionLevel = CompressionLevel == 0 ? null : CompressionLevel,
        DictionaryMaxEntries = DictionaryMaxEntries,
        DictionaryMaxChars = DictionaryMaxChars,
    };
}
