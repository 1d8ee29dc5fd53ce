using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Sampling;

/// <summary>Options of the <c>sampling.priority</c> operator.</summary>
public sealed class PrioritySamplingOptions : IValidatableObject
{
    /// <summary>The rules, in order; the first whose condition matches decides. Default: none.</summary>
    public List<PriorityRuleOptions> Rules { get; set; } = [];

    /// <summary>
    /// Honour the span attribute <c>sampling.priority</c> before any rule, as OpenTracing defined
    /// it: an integer above 0 keeps the span, 0 drops it. Default true.
    /// </summary>
    public bool HonorAttribute { get; set; } = true;

    /// <summary>What happens to spans that no rule matches: <c>keep</c> (default) or <c>drop</c>.</summary>
    public PriorityAction Default { get; set; } = PriorityAction.Keep;

    /// <summary>Significant hex digits of thresholds written by <c>ratio</c> rules. Default 5.</summary>
    [Range(1, 14)]
    public int Precision { get; set; } = 5;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Default is not (PriorityAction.Keep or PriorityAction.Drop))
        {
            yield return new ValidationResult("must be \"keep\" or \"drop\"", [nameof(Default)]);
        }

        for (var i = 0; i < Rules.Count; i++)
        {
            var rule = Rules[i];
            if (rule.When is null)
            {
                yield return new ValidationResult("is required: a condition such as \"status.code == ERROR\"", [$"rules[{i}].when"]);
            }

            if (rule.Action == PriorityAction.Priority && string.IsNullOrWhiteSpace(rule.Class))
            {
                yield return new ValidationResult("is required by a 'priority' rule: the class, which names the output port", [$"rules[{i}].class"]);
            }

            if (rule.Action == PriorityAction.Priority && rule.Class is "out" or "dropped")
            {
                yield return new ValidationResult($"must not be '{rule.Class}', a port every operator already has", [$"rules[{i}].class"]);
            }

            if (rule.Ratio is < 0 or > 1)
            {
                yield return new ValidationResult($"must be between 0 and 1, got {rule.Ratio}", [$"rules[{i}].ratio"]);
            }
        }
    }
}
