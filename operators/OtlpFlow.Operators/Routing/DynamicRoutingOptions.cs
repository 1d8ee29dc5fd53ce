using System.ComponentModel.DataAnnotations;
using OtlpFlow.Engine.Operators;

namespace OtlpFlow.Operators.Routing;

/// <summary>Options of <c>routing.dynamic</c>.</summary>
public sealed class DynamicRoutingOptions : IValidatableObject
{
    /// <summary>
    /// The rules file: JSON with the keys of <c>routing.content</c> (<c>routes</c>, <c>default</c>,
    /// <c>matchOnce</c>), whose route and default names must be among <see cref="Ports"/>. Required.
    /// </summary>
    [Required]
    public string RulesFile { get; set; } = string.Empty;

    /// <summary>The output ports the rules may send to (ports are fixed when the pipeline loads; rules change). Required.</summary>
    public List<string> Ports { get; set; } = [];

    /// <summary>How often the rules file is checked for changes. Default <c>1s</c>.</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Passive health of the ports: a port whose batches keep failing is skipped by its routes.</summary>
    public OutlierEjectionOptions Ejection { get; set; } = new();

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Ports is null || Ports.Count == 0)
        {
            yield return new ValidationResult("must list at least one port, such as [\"errors\", \"rest\"]", [nameof(Ports)]);
            yield break;
        }

        if (Ports.Count > 30)
        {
            yield return new ValidationResult($"may hold at most 30 ports, got {Ports.Count}", [nameof(Ports)]);
        }

        if (Ports.Distinct(StringComparer.Ordinal).Count() != Ports.Count || Ports.Any(p => string.IsNullOrEmpty(p) || p == IOperatorOutput.DroppedPort))
        {
            yield return new ValidationResult($"must hold distinct, non-empty names other than '{IOperatorOutput.DroppedPort}'", [nameof(Ports)]);
        }

        if (ReloadInterval <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be more than 0", [nameof(ReloadInterval)]);
        }
    }
}
