namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>How the bodies of Arrow IPC messages are compressed.</summary>
public enum ArrowCompression
{
    /// <summary>No compression: a reader uses the buffers where they lie, without copying.</summary>
    None,

    /// <summary>LZ4 frame compression of each buffer: fast, moderate ratio.</summary>
    Lz4,

    /// <summary>Zstandard compression of each IPC buffer on its own.</summary>
    Zstd,

    /// <summary>
    /// IPC buffers uncompressed and the whole message (all its tables) compressed as one zstd
    /// frame: the smallest messages, since small buffers and schemas compress together. The reader
    /// decompresses the message once, then reads its columns in place.
    /// </summary>
    ZstdMessage,

    /// <summary>
    /// Like <see cref="ZstdMessage"/>, but one zstd stream spans the whole Arrow stream: each
    /// message is a flushed block whose matches may reach back into earlier messages, so what
    /// repeats from one message to the next (schemas, layouts, recurring values) costs almost
    /// nothing. Messages must be decoded in order, which the stream dictionaries already require.
    /// </summary>
    ZstdStream,
}
