using System.ComponentModel.DataAnnotations;
using OtlpFlow.Engine.Conditions;

namespace OtlpFlow.Operators.Transform;

/// <summary>Options of the <c>filter</c> operator.</summary>
public sealed class FilterOptions : IValidatableObject
{
    /// <summary>
    /// Rules that drop items, by name: <c>{ "health-checks": "name == \"GET /health\"" }</c>. A span,
    /// log record or data point that matches any rule is dropped and counted under the first rule
    /// it matches, in the order written. Default: no rules (everything passes).
    /// </summary>
    public Dictionary<string, Condition> Drop { get; set; } = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Drop is null)
        {
            yield return new ValidationResult("must be an object mapping rule names to conditions", [nameof(Drop)]);
            yield break;
        }

        foreach (var (name, condition) in Drop)
        {
            if (name.Length == 0)
            {
                yield return new ValidationResult("rule names must not be empty", [nameof(Drop)]);
            }

            if (condition is null)
            {
                yield return new ValidationResult("must be a condition in a string, got null", [$"drop.{name}"]);
            }
        }
    }
}
