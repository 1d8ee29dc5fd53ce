using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace OtlpFlow.Operators.Transform;

/// <summary>Options of the <c>attributes</c> operator.</summary>
public sealed class AttributesOptions : IValidatableObject
{
    /// <summary>The actions, applied in order. Required: at least one.</summary>
    public List<AttributeActionOptions> Actions { get; set; } = [];

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Actions is null || Actions.Count == 0)
        {
            yield return new ValidationResult("must list at least one action", [nameof(Actions)]);
            yield break;
        }

        for (var n = 0; n < Actions.Count; n++)
        {
            if (Problem(Actions[n]) is { } problem)
            {
                yield return new ValidationResult(problem.Message, [string.Create(CultureInfo.InvariantCulture, $"actions[{n}].{problem.Key}")]);
            }
        }
    }

    /// <summary>What is wrong with one action, or null when it is valid.</summary>
    internal static (string Key, string Message)? Problem(AttributeActionOptions? action)
    {
        if (action is null)
        {
            return ("action", "must be an object with 'action' and 'key'");
        }

        if (string.IsNullOrEmpty(action.Key))
        {
            return ("key", "must not be empty");
        }

        var name = action.Action.ToString().ToLowerInvariant();
        var needsValue = action.Action is AttributeAction.Insert or AttributeAction.Update or AttributeAction.Upsert;
        if (needsValue && action.Value is null)
        {
            return ("value", $"is required for '{name}'");
        }

        if (!needsValue && action.Value is not null)
        {
            return ("value", $"is not used by '{name}'; remove it");
        }

        if (action.Value is not (null or string or bool or long or int or double or float))
        {
            return ("value", $"must be a string, a number, true or false, got {action.Value.GetType().Name}");
        }

        return null;
    }
}
