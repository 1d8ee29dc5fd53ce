using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Routing;

/// <summary>Options of <c>routing.geography</c>.</summary>
public sealed class GeographyRoutingOptions : IValidatableObject
{
    /// <summary>Target port → its region and zone: <c>{ "eu": { "region": "eu-west-1" } }</c>. Required.</summary>
    public Dictionary<string, GeographyTarget> Targets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The resource attribute holding an item's region. Default <c>cloud.region</c>.</summary>
    public string RegionKey { get; set; } = "cloud.region";

    /// <summary>The resource attribute holding an item's zone. Default <c>cloud.availability_zone</c>.</summary>
    public string ZoneKey { get; set; } = "cloud.availability_zone";

    /// <summary>
    /// The ports to try, in order, for items with no target in their zone or region (or whose
    /// local targets are ejected). Default: every target, in the order written.
    /// </summary>
    public List<string> Fallback { get; set; } = [];

    /// <summary>Passive health: a port whose batches keep failing is skipped for a while.</summary>
    public OutlierEjectionOptions Ejection { get; set; } = new();

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var problem in BalancerTargets.Validate(Targets?.Keys, nameof(Targets)))
        {
            yield return problem;
        }

        foreach (var port in Fallback ?? [])
        {
            if (Targets is null || !Targets.ContainsKey(port))
            {
                yield return new ValidationResult($"names '{port}', which is not one of 'targets'", [nameof(Fallback)]);
            }
        }
    }
}
