namespace OtlpFlow.Engine.Operators;

/// <summary>A registered operator type: its name, class, options class and kind.</summary>
/// <param name="Type">The name used in pipeline files.</param>
/// <param name="OperatorType">The class, derived from <see cref="OperatorBase"/>.</param>
/// <param name="OptionsType">The options class, or null when the operator takes no options.</param>
/// <param name="Description">One line saying what it does.</param>
public sealed record OperatorDescriptor(string Type, Type OperatorType, Type? OptionsType, string? Description)
{
    /// <summary>Source, processor or sink, from the class's base.</summary>
    public OperatorKind Kind =>
        typeof(SourceOperator).IsAssignableFrom(OperatorType) ? OperatorKind.Source
        : typeof(SinkOperator).IsAssignableFrom(OperatorType) ? OperatorKind.Sink
        : OperatorKind.Processor;
}
