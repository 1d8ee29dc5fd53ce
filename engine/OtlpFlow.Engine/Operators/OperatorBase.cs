namespace OtlpFlow.Engine.Operators;

/// <summary>
/// What every operator has. Derive from <see cref="SourceOperator"/>, <see cref="ProcessorOperator"/>
/// or <see cref="SinkOperator"/>. A constructor takes the options object (when the operator has
/// options) and the <see cref="OperatorContext"/>, plus any services; it must have no side effects
/// (no sockets, no files): validation constructs operators without starting them.
/// </summary>
public abstract class OperatorBase : IAsyncDisposable
{
    /// <summary>The single <c>"out"</c> port that most operators have.</summary>
    protected static readonly IReadOnlyList<string> DefaultPorts = [IOperatorOutput.DefaultPort];

    /// <summary>Creates the operator.</summary>
    protected OperatorBase(OperatorContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Context = context;
    }

    /// <summary>The operator's context.</summary>
    public OperatorContext Context { get; }

    /// <summary>The operator's kind, from its base class.</summary>
    public abstract OperatorKind Kind { get; }

    /// <summary>Named output ports; <c>"dropped"</c> exists on every operator besides these.</summary>
    public virtual IReadOnlyList<string> OutputPorts => DefaultPorts;

    /// <summary>True when the operator changes the batches it receives; the engine then clones for it at a fan-out.</summary>
    public virtual bool MutatesData => false;

    /// <summary>Called once before any data flows: open files, bind sockets, start timers.</summary>
    public virtual Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Releases resources after the pipeline has drained or stopped.</summary>
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
