using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Resilience;

/// <summary>Options of a <see cref="RetryExecutor"/> (the <c>retry</c> key).</summary>
public sealed class RetryOptions : IValidatableObject
{
    /// <summary>Whether retryable failures are retried at all. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary><c>fixed</c>, <c>linear</c>, <c>exponential</c> or <c>decorrelatedJitter</c>. Default <c>exponential</c>.</summary>
    public BackoffKind Backoff { get; set; } = BackoffKind.Exponential;

    /// <summary>The first wait (and the step of the others). Default <c>5s</c>.</summary>
    public TimeSpan Initial { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between two attempts. Default <c>30s</c>.</summary>
    public TimeSpan Max { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How much an exponential wait grows per retry. Default 2.</summary>
    [Range(1.0, 100.0)]
    public double Factor { get; set; } = 2;

    /// <summary>How the waits are randomised: <c>none</c>, <c>proportional</c>, <c>full</c> or <c>equal</c>. Default <c>proportional</c>.</summary>
    public JitterKind JitterMode { get; set; } = JitterKind.Proportional;

    /// <summary>For <c>proportional</c> jitter: how far each wait may move, as a fraction of it (0 to 1). Default 0.5.</summary>
    [Range(0.0, 1.0)]
    public double Jitter { get; set; } = 0.5;

    /// <summary>Attempts in all, the first included; 0 sets no limit (<see cref="MaxElapsed"/> still applies). Default 0.</summary>
    [Range(0, int.MaxValue)]
    public int MaxAttempts { get; set; }

    /// <summary>How long a call may be retried in all before it fails; 0 sets no limit. Default <c>5m</c>.</summary>
    public TimeSpan MaxElapsed { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Whether a wait the server asks for (gRPC RetryInfo, HTTP Retry-After) replaces the computed one. Default true.</summary>
    public bool HonorRetryAfter { get; set; } = true;

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
