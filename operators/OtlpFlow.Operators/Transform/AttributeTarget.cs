namespace OtlpFlow.Operators.Transform;

/// <summary>Whose attributes an <c>attributes</c> action changes.</summary>
public enum AttributeTarget
{
    /// <summary>The span's, log record's or data point's own attributes.</summary>
    Item,

    /// <summary>The resource's attributes.</summary>
    Resource,

    /// <summary>The instrumentation scope's attributes.</summary>
    Scope,
}
