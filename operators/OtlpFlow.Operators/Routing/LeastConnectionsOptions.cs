using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Routing;

/// <summary>Options of <c>routing.leastConnections</c>.</summary>
public sealed class LeastConnectionsOptions : IValidatableObject
{
    /// <summary>The target ports. Required.</summary>
    public List<string> Targets { get; set; } = [];

    /// <summary>Passive health: a port whose batches keep failing is skipped for a while.</summary>
    public OutlierEjectionOptions Ejection { get; set; } = new();

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) => BalancerTargets.Validate(Targets, nameof(Targets));
}
