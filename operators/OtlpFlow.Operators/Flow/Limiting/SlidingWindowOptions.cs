using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Flow;

/// <summary>Options of <c>flow.slidingWindow</c>: at most <c>rate × window</c> units in any window.</summary>
public sealed class SlidingWindowOptions : RateLimitOptions
{
    /// <summary>The window's length. Default <c>"1s"</c>.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Segments the window slides by. Default 10.</summary>
    [Range(1, 1000)]
    public int Segments { get; set; } = 10;

    /// <inheritdoc />
    public override IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var result in base.Validate(validationContext))
        {
            yield return result;
        }

        if (Window <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be a positive duration such as \"1s\"", [nameof(Window)]);
        }
    }
}
