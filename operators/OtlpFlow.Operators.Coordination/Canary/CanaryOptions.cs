using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Coordination.Canary;

/// <summary>Options of <c>routing.canary</c>.</summary>
public sealed class CanaryOptions : IValidatableObject
{
    /// <summary>The share of batches sent to the candidate while the canary runs, above 0 and below 1. Default 0.1.</summary>
    public double Fraction { get; set; } = 0.1;

    /// <summary>How long each comparison window lasts. Default <c>1m</c>.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Items the candidate must have settled in a window before a decision; fewer and the window is extended. Default 1000.</summary>
    [Range(1, long.MaxValue)]
    public long MinItems { get; set; } = 1000;

    /// <summary>
    /// How much worse than the stable version the candidate may be, as a ratio of items lost
    /// (dropped or failed) to items sent: it is promoted when its loss ratio is at most the stable
    /// one plus this. Default 0.01.
    /// </summary>
    [Range(0, 1)]
    public double Tolerance { get; set; } = 0.01;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!(Fraction > 0 && Fraction < 1))
        {
            yield return new ValidationResult($"must be above 0 and below 1, such as 0.1, got {Fraction}", [nameof(Fraction)]);
        }

        if (Window <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be a positive duration such as \"1m\"", [nameof(Window)]);
        }
    }
}
