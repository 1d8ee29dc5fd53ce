using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Resilience;

/// <summary>Options of <c>resilience.degradation</c>.</summary>
public sealed class DegradationOptions : IValidatableObject
{
    /// <summary>The load signals read.</summary>
    public DegradationSignalOptions Signals { get; set; } = new();

    /// <summary>The levels from mildest to most severe, with their thresholds and actions. Required (at least one).</summary>
    public List<DegradationLevelOptions> Levels { get; set; } = [];

    /// <summary>How often the signals are read (and the level may move one step). Default <c>1s</c>.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the load must stay under a level's <c>exitBelow</c> before the level is left. Default <c>30s</c>.</summary>
    public TimeSpan Cooldown { get; set; } = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Levels.Count == 0)
        {
            yield return new ValidationResult("must list at least one level, such as [{ \"enterAbove\": 0.8, \"sampleRatio\": 0.5 }]", [nameof(Levels)]);
        }

        for (var i = 1; i < Levels.Count; i++)
        {
            if (Levels[i].EnterAbove <= Levels[i - 1].EnterAbove)
            {
                yield return new ValidationResult($"level {i + 1}'s 'enterAbove' must be higher than level {i}'s", [nameof(Levels)]);
            }
        }

        if (Interval <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be a positive duration such as \"1s\"", [nameof(Interval)]);
        }

        if (Cooldown < TimeSpan.Zero)
        {
            yield return new ValidationResult("must not be negative", [nameof(Cooldown)]);
        }
    }
}
