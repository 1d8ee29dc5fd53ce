using System.IO.Compression;
using Grpc.Net.Compression;

namespace OtlpFlow.Operators.Otlp.Exporter;

/// <summary>zstd for Grpc.Net.Client, which ships only gzip and deflate.</summary>
internal sealed class ZstdGrpcCompressionProvider : ICompressionProvider
{
    public string EncodingName => "zstd";

    public Stream CreateCompressionStream(Stream stream, CompressionLevel? compressionLevel) =>
        new ZstdSharp.CompressionStream(stream, leaveOpen: true);

    public Stream CreateDecompressionStream(Stream stream) => new ZstdSharp.DecompressionStream(stream);
}
