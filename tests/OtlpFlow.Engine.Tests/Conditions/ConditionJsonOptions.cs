using OtlpFlow.Engine.Conditions;

namespace OtlpFlow.Engine.Tests.Conditions;

/// <summary>An options class with condition properties, as an operator would declare them.</summary>
public sealed class ConditionJsonOptions
{
    public Condition? When { get; set; }

    public Dictionary<string, Condition> Routes { get; set; } = [];
}
