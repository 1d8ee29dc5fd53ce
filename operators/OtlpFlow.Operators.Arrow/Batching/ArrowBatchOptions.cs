using System.ComponentModel.DataAnnotations;
using OtlpFlow.Engine.Options;
using OtlpFlow.Operators.Arrow.Encoding;

namespace OtlpFlow.Operators.Arrow.Batching;

/// <summary>Options of <c>arrow.batch</c>.</summary>
public sealed class ArrowBatchOptions : IValidatableObject
{
    /// <summary>The Arrow-encoded size a batch should reach before it is sent. Default <c>"256KiB"</c>.</summary>
    public ByteSize TargetSize { get; set; } = ByteSize.FromKiB(256);

    /// <summary>The longest the oldest data of a batch may wait before the batch is sent anyway. Default <c>"200ms"</c>.</summary>
    public TimeSpan MaxLatency { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Every how many sent batches one is encoded to learn how many encoded bytes an OTLP byte
    /// becomes (the ratio adapts to the data). Default 8.
    /// </summary>
    [Range(1, 10_000)]
    public int SampleEvery { get; set; } = 8;

    /// <summary>The compression the ratio is learned with (match the exporter's). Default <c>zstdStream</c>.</summary>
    public ArrowCompression Compression { get; set; } = ArrowCompression.ZstdStream;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TargetSize.Bytes <= 0)
        {
            yield return new ValidationResult("must be a positive size such as \"256KiB\"", [nameof(TargetSize)]);
        }

        if (MaxLatency <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be a positive duration such as \"200ms\"", [nameof(MaxLatency)]);
        }
    }
}
