using System.ComponentModel.DataAnnotations;
using OtlpFlow.Engine.Options;

namespace OtlpFlow.Operators.Otlp.Exporter;

/// <summary>
/// The <c>queue</c> options of <c>otlp.exporter</c>: a bounded sending queue in memory, or on disk
/// when <see cref="Path"/> is set.
/// </summary>
public sealed class OtlpQueueOptions : IValidatableObject
{
    /// <summary>
    /// Batches the queue holds; when full, the exporter's input waits (backpressure). 0 turns the
    /// queue off: each batch is sent (and retried) within the exporter's own processing. Default 1000.
    /// </summary>
    [Range(0, 1_000_000)]
    public int Size { get; set; } = 1000;

    /// <summary>Batches sent at once from the queue. Default 10.</summary>
    [Range(1, 1000)]
    public int Consumers { get; set; } = 10;

    /// <summary>
    /// A folder for a persistent queue. A batch is acknowledged once it is on disk (flushed to the
    /// device); it is removed only when sent or refused for good by the peer (retryable failures are retried without end). After a crash or a restart the queue sends what
    /// it still holds, oldest first (at-least-once: a batch in flight at the crash is sent again).
    /// One folder per exporter. Default none: the queue is in memory and <see cref="Size"/> bounds it.
    /// </summary>
    public string? Path { get; set; }

    /// <summary>
    /// With <see cref="Path"/>: the most bytes the queue may hold on disk; past it the exporter's input
    /// waits (backpressure). Default <c>1GiB</c>.
    /// </summary>
    public ByteSize MaxBytes { get; set; } = ByteSize.FromGiB(1);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Path is not null && string.IsNullOrWhiteSpace(Path))
        {
            yield return new ValidationResult("must be a folder path, or left out for a queue in memory", [nameof(Path)]);
        }

        if (MaxBytes.Bytes < 64 * 1024)
        {
            yield return new ValidationResult($"must be at least 64KiB, got {MaxBytes}", [nameof(MaxBytes)]);
        }
    }
}
