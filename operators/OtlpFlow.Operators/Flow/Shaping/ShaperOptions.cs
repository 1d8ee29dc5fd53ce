using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Flow;

/// <summary>Options of <c>flow.shaper</c>.</summary>
public sealed class ShaperOptions : IValidatableObject
{
    /// <summary>The target rate in <see cref="Unit"/> per second. Default 1000.</summary>
    [Range(1e-6, 1e15)]
    public double Rate { get; set; } = 1000;

    /// <summary>What is counted: <c>items</c> (default), <c>bytes</c> or <c>batches</c>.</summary>
    public RateLimitUnit Unit { get; set; } = RateLimitUnit.Items;

    /// <summary>
    /// The delay budget: data is held (input still accepted) while its turn is at most this far
    /// away; past it the shaper stops taking input (backpressure). Default <c>"1s"</c>.
    /// </summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxDelay <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be a positive duration such as \"1s\"", [nameof(MaxDelay)]);
        }
    }
}
