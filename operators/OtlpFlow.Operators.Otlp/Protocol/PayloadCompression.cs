namespace OtlpFlow.Operators.Otlp.Protocol;

/// <summary>How a request or message body is compressed on the wire.</summary>
internal enum PayloadCompression
{
    /// <summary>Not compressed (<c>identity</c>).</summary>
    None,

    /// <summary>gzip (RFC 1952), which every OTLP peer supports.</summary>
    Gzip,

    /// <summary>zlib-wrapped deflate (RFC 1950), what HTTP and gRPC call <c>deflate</c>.</summary>
    Deflate,

    /// <summary>Zstandard.</summary>
    Zstd,
}
