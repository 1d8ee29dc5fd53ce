using System.ComponentModel.DataAnnotations;
using OtlpFlow.Engine.Options;

namespace OtlpFlow.Operators.Flow;

/// <summary>Options of <c>flow.backpressure</c>.</summary>
public sealed class BackpressureOptions : IValidatableObject
{
    /// <summary>What to do when the buffer is full: <c>block</c> (default), <c>dropNewest</c>, <c>dropOldest</c> or <c>spill</c>.</summary>
    public BackpressurePolicy Policy { get; set; } = BackpressurePolicy.Block;

    /// <summary>Batches buffered in memory. Default 64.</summary>
    [Range(1, 1_000_000)]
    public int BufferSize { get; set; } = 64;

    /// <summary>With <c>spill</c>: the folder for spill files. Default: a new folder under the system's temporary folder.</summary>
    public string? SpillPath { get; set; }

    /// <summary>With <c>spill</c>: most bytes on disk at once. Default <c>"256MiB"</c>.</summary>
    public ByteSize SpillBudget { get; set; } = ByteSize.FromMiB(256);

    /// <summary>
    /// With <c>spill</c>: settle a batch's acknowledgement as delivered once it is on disk, so its
    /// bytes leave the pipeline's memory budget (the disk then holds the only copy; a crash loses
    /// it). Default false: the request is answered when the replayed batch is delivered.
    /// </summary>
    public bool SettleOnSpill { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Policy == BackpressurePolicy.Spill && SpillBudget.Bytes < 4096)
        {
            yield return new ValidationResult("must be at least \"4KiB\"", [nameof(SpillBudget)]);
        }
    }
}
