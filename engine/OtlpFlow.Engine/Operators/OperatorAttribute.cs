namespace OtlpFlow.Engine.Operators;

/// <summary>
/// Registers an operator class under a type name used in pipeline files
/// (<c>[Operator("sampling.tail", Options = typeof(TailSamplingOptions))]</c>). Classes carrying it are
/// discovered by <see cref="OperatorRegistry.AddAssembly"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class OperatorAttribute(string type) : Attribute
{
    /// <summary>The name used in a pipeline file's <c>"type"</c> key.</summary>
    public string Type { get; } = type;

    /// <summary>The options class bound from the operator's JSON keys; null when the operator takes none.</summary>
    public Type? Options { get; init; }

    /// <summary>One line saying what the operator does, shown by <c>otlpflow operators</c>.</summary>
    public string? Description { get; init; }

    /// <summary>
    /// A minimal valid configuration: a JSON object of the operator's option keys (without <c>type</c>
    /// and <c>inputs</c>), <c>"{}"</c> when the defaults do. Shown in docs/operators.md by
    /// <c>otlpflow docs</c>, and run by the conformance test that every built-in operator passes.
    /// </summary>
    public string? Example { get; init; }
}
