using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Flow;

/// <summary>Options of the <c>batch</c> operator.</summary>
public sealed class BatchOptions : IValidatableObject
{
    /// <summary>Send once this much has gathered (in <see cref="Unit"/>). Default 8192.</summary>
    [Range(1, long.MaxValue)]
    public long Size { get; set; } = 8192;

    /// <summary>Send whatever has gathered once the oldest data waited this long. Default <c>"200ms"</c>.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Largest batch sent; larger ones are split. 0 (the default) means no limit.</summary>
    [Range(0, long.MaxValue)]
    public long MaxSize { get; set; }

    /// <summary>What <see cref="Size"/> and <see cref="MaxSize"/> count: <c>items</c> (default) or <c>bytes</c>.</summary>
    public BatchUnit Unit { get; set; } = BatchUnit.Items;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxSize > 0 && MaxSize < Size)
        {
            yield return new ValidationResult($"must be 0 (no limit) or at least 'size' ({Size}), got {MaxSize}", [nameof(MaxSize)]);
        }

        if (Timeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be a positive duration such as \"200ms\"", [nameof(Timeout)]);
        }
    }
}
