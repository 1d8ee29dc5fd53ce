using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Routing;

/// <summary>Options of <c>routing.weightedRoundRobin</c>.</summary>
public sealed class WeightedRoundRobinOptions : IValidatableObject
{
    /// <summary>Target port → weight (1 or more): <c>{ "big": 3, "small": 1 }</c>. Required.</summary>
    public Dictionary<string, int> Weights { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Passive health: a port whose batches keep failing is skipped for a while.</summary>
    public OutlierEjectionOptions Ejection { get; set; } = new();

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var problem in BalancerTargets.Validate(Weights?.Keys, nameof(Weights)))
        {
            yield return problem;
        }

        foreach (var (port, weight) in Weights ?? [])
        {
            if (weight < 1)
            {
                yield return new ValidationResult($"must be 1 or more, got {weight}", [$"weights.{port}"]);
            }
        }
    }
}
