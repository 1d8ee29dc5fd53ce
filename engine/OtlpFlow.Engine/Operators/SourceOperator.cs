namespace OtlpFlow.Engine.Operators;

/// <summary>An operator that makes data: a receiver or a generator. It has no inputs.</summary>
public abstract class SourceOperator : OperatorBase
{
    /// <summary>Creates the source.</summary>
    protected SourceOperator(OperatorContext context) : base(context) { }

    /// <inheritdoc />
    public sealed override OperatorKind Kind => OperatorKind.Source;

    /// <summary>
    /// Produces data until there is no more, or until <paramref name="stopToken"/> is cancelled
    /// (the pipeline is stopping: return promptly; throwing <see cref="OperationCanceledException"/>
    /// for it is fine). When this returns, the source is complete and the graph drains behind it.
    /// </summary>
    public abstract Task RunAsync(IOperatorOutput output, CancellationToken stopToken);
}
