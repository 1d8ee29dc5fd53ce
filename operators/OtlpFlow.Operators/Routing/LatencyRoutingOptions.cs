using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Routing;

/// <summary>Options of <c>routing.latency</c>.</summary>
public sealed class LatencyRoutingOptions : IValidatableObject
{
    /// <summary>The target ports. Required.</summary>
    public List<string> Targets { get; set; } = [];

    /// <summary>
    /// The time constant of the latency average: older answers weigh e⁻¹ less per this much time,
    /// and a port that gets no answers looks this much faster per this much idle time (so a port
    /// once slow is tried again). Default <c>10s</c>.
    /// </summary>
    public TimeSpan Decay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Seed of the random choice of two candidates; default none (a random seed).</summary>
    public int? Seed { get; set; }

    /// <summary>Passive health: a port whose batches keep failing is skipped for a while.</summary>
    public OutlierEjectionOptions Ejection { get; set; } = new();

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var problem in BalancerTargets.Validate(Targets, nameof(Targets)))
        {
            yield return problem;
        }

        if (Decay <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be more than 0", [nameof(Decay)]);
        }
    }
}
