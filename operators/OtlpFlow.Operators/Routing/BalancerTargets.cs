using System.ComponentModel.DataAnnotations;
using OtlpFlow.Engine.Operators;

namespace OtlpFlow.Operators.Routing;

/// <summary>Checks a balancer's list of target ports.</summary>
internal static class BalancerTargets
{
    public static IEnumerable<ValidationResult> Validate(ICollection<string>? targets, string member)
    {
        if (targets is null || targets.Count == 0)
        {
            yield return new ValidationResult("must name at least one target port", [member]);
            yield break;
        }

        if (targets.Distinct(StringComparer.Ordinal).Count() != targets.Count || targets.Any(p => string.IsNullOrEmpty(p) || p == IOperatorOutput.DroppedPort))
        {
            yield return new ValidationResult($"must hold distinct, non-empty port names other than '{IOperatorOutput.DroppedPort}'", [member]);
        }
    }
}
