using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Resilience;

/// <summary>
/// Options of a <see cref="CircuitBreaker"/> (the <c>breaker</c> key). The three detection
/// strategies may be combined; the first that trips opens the circuit.
/// </summary>
public sealed class CircuitBreakerOptions : IValidatableObject
{
    /// <summary>Opens after this many failures in a row; 0 turns the strategy off. Default 0.</summary>
    [Range(0, int.MaxValue)]
    public int ConsecutiveFailures { get; set; }

    /// <summary>
    /// Opens when failures reach this share of the calls in <see cref="SamplingWindow"/> (0 to 1),
    /// once at least <see cref="MinThroughput"/> calls were seen; 0 turns it off. Default 0.5.
    /// </summary>
    [Range(0.0, 1.0)]
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>
    /// Opens when calls slower than <see cref="SlowCallDuration"/> reach this share of the calls in
    /// <see cref="SamplingWindow"/>, once at least <see cref="MinThroughput"/> calls were seen; 0 turns
    /// it off. Default 0 (off).
    /// </summary>
    [Range(0.0, 1.0)]
    public double SlowCallRatio { get; set; }

    /// <summary>A call at least this long counts as slow (and a slow probe as a failed one). Default <c>5s</c>.</summary>
    public TimeSpan SlowCallDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The fewest calls in the window before a ratio may trip. Default 20.</summary>
    [Range(1, int.MaxValue)]
    public int MinThroughput { get; set; } = 20;

    /// <summary>The sliding window over which ratios are taken. Default <c>30s</c>.</summary>
    public TimeSpan SamplingWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the circuit stays open the first time. Default <c>30s</c>.</summary>
    public TimeSpan BreakFor { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Each break that follows a failed probe lasts this many times the previous one (1 keeps it
    /// fixed), up to <see cref="MaxBreakFor"/>. Default 1.
    /// </summary>
    [Range(1.0, 100.0)]
    public double BreakGrowth { get; set; } = 1;

    /// <summary>The longest a growing break may last (never less than <see cref="BreakFor"/>). Default <c>5m</c>.</summary>
    public TimeSpan MaxBreakFor { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Calls admitted in half-open; all must succeed to close the circuit. Default 1.</summary>
    [Range(1, 10_000)]
    public int HalfOpenProbes { get; set; } = 1;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ConsecutiveFailures == 0 && FailureRatio == 0 && SlowCallRatio == 0)
        {
            yield return new ValidationResult("set at least one of 'consecutiveFailures', 'failureRatio' or 'slowCallRatio'", [nameof(FailureRatio)]);
        }

        if (BreakFor <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be a positive duration such as \"30s\"", [nameof(BreakFor)]);
        }

        if (SamplingWindow <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be a positive duration such as \"30s\"", [nameof(SamplingWindow)]);
        }

        if (SlowCallDuration <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be a positive duration such as \"5s\"", [nameof(SlowCallDuration)]);
        }
    }
}
