using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Otlp.Exporter;

/// <summary>The <c>retry</c> options of <c>otlp.exporter</c>: exponential backoff with jitter.</summary>
public sealed class OtlpRetryOptions : IValidatableObject
{
    /// <summary>Whether retryable failures are retried at all. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The wait before the first retry; it doubles after each attempt. Default <c>5s</c>.</summary>
    public TimeSpan Initial { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between two attempts. Default <c>30s</c>.</summary>
    public TimeSpan Max { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a batch may be retried in all before it fails; 0 retries without end. Default <c>5m</c>.
    /// </summary>
    public TimeSpan MaxElapsed { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How much each wait is randomised, as a fraction of it (0 to 1). Default 0.5.</summary>
    [Range(0.0, 1.0)]
    public double Jitter { get; set; } = 0.5;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Initial <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be more than 0", [nameof(Initial)]);
        }

        if (Max < Initial)
        {
            yield return new ValidationResult("must be at least 'initial'", [nameof(Max)]);
        }

        if (MaxElapsed < TimeSpan.Zero)
        {
            yield return new ValidationResult("must not be negative", [nameof(MaxElapsed)]);
        }
    }
}
