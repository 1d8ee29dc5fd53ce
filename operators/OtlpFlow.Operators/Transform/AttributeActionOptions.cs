using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using OtlpFlow.Engine.Conditions;

namespace OtlpFlow.Operators.Transform;

/// <summary>One action of the <c>attributes</c> operator.</summary>
public sealed class AttributeActionOptions
{
    /// <summary>What to do: <c>insert</c>, <c>update</c>, <c>upsert</c>, <c>delete</c> or <c>hash</c>. Required.</summary>
    [Required]
    public AttributeAction Action { get; set; }

    /// <summary>The attribute key the action applies to. Required.</summary>
    [Required]
    public string Key { get; set; } = string.Empty;

    /// <summary>
    /// The value to set: a string, an integer (<see cref="long"/>), a number (<see cref="double"/>) or
    /// a boolean. Required for <c>insert</c>, <c>update</c> and <c>upsert</c>; not allowed otherwise.
    /// Default: none.
    /// </summary>
    [JsonConverter(typeof(AttributeValueJsonConverter))]
    public object? Value { get; set; }

    /// <summary>Whose attributes change: <c>item</c> (span, log record or data point), <c>resource</c> or <c>scope</c>. Default: <c>item</c>.</summary>
    public AttributeTarget On { get; set; } = AttributeTarget.Item;

    /// <summary>
    /// Applies the action only where this condition matches. For <c>on: item</c> it is evaluated per
    /// item; for <c>resource</c> and <c>scope</c> on the resource (and scope) alone, with item fields
    /// missing. Default: none (always apply).
    /// </summary>
    public Condition? When { get; set; }
}
