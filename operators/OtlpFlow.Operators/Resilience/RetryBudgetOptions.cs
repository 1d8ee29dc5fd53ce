using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Resilience;

/// <summary>
/// Options of a <see cref="RetryBudget"/> (the <c>retryBudget</c> key): retries may add at most
/// <see cref="Ratio"/> of the recent requests, plus <see cref="MinPerSecond"/>, so that retries
/// never multiply the load on a peer that is already failing.
/// </summary>
public sealed class RetryBudgetOptions : IValidatableObject
{
    /// <summary>Retries allowed per request seen in <see cref="Window"/> (0.2 = 20 % extra load at most). Default 0.2.</summary>
    [Range(0.0, 100.0)]
    public double Ratio { get; set; } = 0.2;

    /// <summary>Retries allowed per second whatever the traffic, so that a quiet client can still retry. Default 10.</summary>
    [Range(0.0, 1e9)]
    public double MinPerSecond { get; set; } = 10;

    /// <summary>How far back requests and retries are counted. Default <c>10s</c>.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Window <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be a positive duration such as \"10s\"", [nameof(Window)]);
        }
    }
}
