using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Resilience;

/// <summary>
/// Options of a <see cref="TimeoutPolicy"/> (the <c>timeout</c> key): a fixed timeout, or one that
/// follows a quantile of the observed latency between a floor and a ceiling. With
/// <see cref="TimeoutOptionsJsonConverter"/> the key also takes a plain duration (<c>"10s"</c>).
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(TimeoutOptionsJsonConverter))]
public sealed class TimeoutOptions : IValidatableObject
{
    /// <summary>The timeout when fixed, and the start value of an adaptive one until it has <see cref="MinSamples"/>. Default <c>10s</c>.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Follow the observed latency instead of staying at <see cref="Duration"/>. Default false.</summary>
    public bool Adaptive { get; set; }

    /// <summary>The latency quantile that the adaptive timeout follows (0.5 to 1). Default 0.99.</summary>
    [Range(0.5, 1.0)]
    public double Quantile { get; set; } = 0.99;

    /// <summary>The adaptive timeout is the quantile times this. Default 2.</summary>
    [Range(1.0, 100.0)]
    public double Multiplier { get; set; } = 2;

    /// <summary>The shortest adaptive timeout. Default <c>100ms</c>.</summary>
    public TimeSpan Floor { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest adaptive timeout. Default <c>30s</c>.</summary>
    public TimeSpan Ceiling { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many recent latencies the quantile is taken over. Default 256.</summary>
    [Range(8, 65_536)]
    public int Samples { get; set; } = 256;

    /// <summary>Latencies needed before the adaptive timeout moves from <see cref="Duration"/>. Default 20.</summary>
    [Range(1, 65_536)]
    public int MinSamples { get; set; } = 20;

    /// <summary>A fixed timeout of <paramref name="duration"/>.</summary>
    public static implicit operator TimeoutOptions(TimeSpan duration) => FromTimeSpan(duration);

    /// <summary>A fixed timeout of <paramref name="duration"/>.</summary>
    public static TimeoutOptions FromTimeSpan(TimeSpan duration) => new() { Duration = duration };

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Duration <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be a positive duration such as \"10s\"", [nameof(Duration)]);
        }

        if (Floor <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be a positive duration such as \"100ms\"", [nameof(Floor)]);
        }

        if (Ceiling < Floor)
        {
            yield return new ValidationResult("must be at least 'floor'", [nameof(Ceiling)]);
        }
    }
}
