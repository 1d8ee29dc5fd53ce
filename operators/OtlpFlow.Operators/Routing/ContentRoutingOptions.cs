using System.ComponentModel.DataAnnotations;
using OtlpFlow.Engine.Conditions;
using OtlpFlow.Engine.Operators;

namespace OtlpFlow.Operators.Routing;

/// <summary>Options of <c>routing.content</c>; also the shape of a <c>routing.dynamic</c> rules file.</summary>
public sealed class ContentRoutingOptions : IValidatableObject
{
    /// <summary>
    /// Routes by name, in order: each name is an output port and each value a condition
    /// (<c>{ "errors": "status.code == ERROR" }</c>). Required, at least one.
    /// </summary>
    public Dictionary<string, Condition> Routes { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The port for items no route matches. Default none: such items are dropped (reason
    /// <c>unmatched</c>), to the <c>dropped</c> port when it is linked.
    /// </summary>
    public string? Default { get; set; }

    /// <summary>
    /// True (default): an item goes to the first route it matches, in the order written. False: to
    /// every route it matches (an item matching two routes is sent, and counted out, twice).
    /// </summary>
    public bool MatchOnce { get; set; } = true;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Routes is null || Routes.Count == 0)
        {
            yield return new ValidationResult("must name at least one route, as in { \"errors\": \"status.code == ERROR\" }", [nameof(Routes)]);
            yield break;
        }

        if (!MatchOnce && Routes.Count > 30)
        {
            yield return new ValidationResult($"may hold at most 30 routes when 'matchOnce' is false, got {Routes.Count}", [nameof(Routes)]);
        }

        foreach (var (name, condition) in Routes)
        {
            if (name.Length == 0 || name == IOperatorOutput.DroppedPort)
            {
                yield return new ValidationResult($"route names must not be empty or '{IOperatorOutput.DroppedPort}', got '{name}'", [nameof(Routes)]);
            }

            if (condition is null)
            {
                yield return new ValidationResult("must be a condition in a string, got null", [$"routes.{name}"]);
            }
        }

        if (Default is not null && (Default.Length == 0 || Default == IOperatorOutput.DroppedPort))
        {
            yield return new ValidationResult($"must be a port name other than '{IOperatorOutput.DroppedPort}'", [nameof(Default)]);
        }
    }
}
