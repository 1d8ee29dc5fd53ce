using System.ComponentModel.DataAnnotations;
using OtlpFlow.Engine.Options;
using OtlpFlow.Operators.Arrow.Encoding;

namespace OtlpFlow.Operators.Arrow.Flight;

/// <summary>Options of <c>arrow.flight.exporter</c>.</summary>
public sealed class ArrowFlightExporterOptions : IValidatableObject
{
    /// <summary>The Flight server, such as <c>"http://127.0.0.1:4319"</c>. Required.</summary>
    public string Endpoint { get; set; } = string.Empty;

    /// <summary>
    /// Long-lived DoPut streams (workers); each has its own encoder and dictionaries and carries
    /// one batch at a time. Set the operator's <c>parallelism</c> to the same number to use them all. Default 1.
    /// </summary>
    [Range(1, 64)]
    public int Streams { get; set; } = 1;

    /// <summary>How long to wait for a batch's acknowledgement before failing it. Default <c>"30s"</c>.</summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Compression: <c>none</c>, <c>lz4</c> or <c>zstd</c> (each IPC buffer), <c>zstdMessage</c>
    /// (the whole message as one zstd frame) or <c>zstdStream</c> (one zstd stream through each
    /// Flight stream, the smallest). Default <c>zstdStream</c>.
    /// </summary>
    public ArrowCompression Compression { get; set; } = ArrowCompression.ZstdStream;

    /// <summary>Compression level; 0 uses the codec's default. Default 0.</summary>
    [Range(0, 22)]
    public int CompressionLevel { get; set; }

    /// <summary>Entries a stream dictionary may hold before it is reset. Default 65536.</summary>
    [Range(1, int.MaxValue)]
    public int DictionaryMaxEntries { get; set; } = 65_536;

    /// <summary>
    /// Arrow memory (columns being built, messages awaiting their acknowledgement) above which the
    /// exporter waits before encoding more. Default <c>"64MiB"</c>.
    /// </summary>
    public ByteSize MemoryLimit { get; set; } = ByteSize.FromMiB(64);

    /// <summary>Largest gRPC message sent or received. Default <c>"64MiB"</c>.</summary>
    public ByteSize MaxMessageSize { get; set; } = ByteSize.FromMiB(64);

    internal ArrowEncoderOptions ToEncoderOptions() => new()
    {
        Compression = Compression,
        CompressionLevel = CompressionLevel == 0 ? null : CompressionLevel,
        DictionaryMaxEntries = DictionaryMaxEntries,
    };

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            yield return new ValidationResult($"must be an http:// or https:// address such as \"http://127.0.0.1:4319\", got \"{Endpoint}\"", [nameof(Endpoint)]);
        }

        if (AckTimeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be a positive duration such as \"30s\"", [nameof(AckTimeout)]);
        }

        if (MemoryLimit.Bytes <= 0)
        {
            yield return new ValidationResult("must be a positive size such as \"64MiB\"", [nameof(MemoryLimit)]);
        }

        if (MaxMessageSize.Bytes <= 0 || MaxMessageSize.Bytes > int.MaxValue)
        {
            yield return new ValidationResult("must be a positive size below 2GiB such as \"64MiB\"", [nameof(MaxMessageSize)]);
        }
    }
}
