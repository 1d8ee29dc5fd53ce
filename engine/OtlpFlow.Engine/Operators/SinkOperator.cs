using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Operators;

/// <summary>
/// An operator that sends data out of the pipeline: an exporter or writer. When
/// <see cref="WriteAsync"/> returns, the batch counts as delivered; when it throws, as failed.
/// </summary>
public abstract class SinkOperator : ProcessorOperator
{
    private static readonly IReadOnlyList<string> NoPorts = [];

    /// <summary>Creates the sink.</summary>
    protected SinkOperator(OperatorContext context) : base(context) { }

    /// <inheritdoc />
    public sealed override OperatorKind Kind => OperatorKind.Sink;

    /// <summary>A sink has no ports besides <c>"dropped"</c>.</summary>
    public override IReadOnlyList<string> OutputPorts => NoPorts;

    /// <summary>Writes one batch out of the pipeline.</summary>
    public abstract ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken);

    /// <summary>Called once when the pipeline drains, after the last batch: flush buffers.</summary>
    public virtual ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public sealed override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken) =>
        WriteAsync(batch, cancellationToken);

    /// <inheritdoc />
    public sealed override ValueTask FlushAsync(IOperatorOutput output, CancellationToken cancellationToken) =>
        FlushAsync(cancellationToken);
}
