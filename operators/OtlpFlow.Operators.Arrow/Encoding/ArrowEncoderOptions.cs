namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>How <see cref="OtlpArrowEncoder"/> writes a stream of batches.</summary>
public sealed class ArrowEncoderOptions
{
    /// <summary>Compression of the IPC message bodies. Default <see cref="ArrowCompression.Zstd"/>.</summary>
    public ArrowCompression Compression { get; set; } = ArrowCompression.Zstd;

    /// <summary>Compression level; null uses the codec's default (zstd 3). Default null.</summary>
    public int? CompressionLevel { get; set; }

    /// <summary>
    /// Entries a stream dictionary may hold before it is reset (checked between batches, so one
    /// batch may take it past the limit). Default 65536.
    /// </summary>
    public int DictionaryMaxEntries { get; set; } = 65_536;

    /// <summary>UTF-16 characters a stream dictionary may hold before it is reset. Default 4 Mi characters.</summary>
    public long DictionaryMaxChars { get; set; } = 4L * 1024 * 1024;

    /// <summary>Throws when a value is out of range.</summary>
    internal void Validate()
    {
        if (DictionaryMaxEntries < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(DictionaryMaxEntries), DictionaryMaxEntries, "'dictionaryMaxEntries' must be at least 1.");
        }

        if (DictionaryMaxChars < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(DictionaryMaxChars), DictionaryMaxChars, "'dictionaryMaxChars' must be at least 1.");
        }
    }
}
