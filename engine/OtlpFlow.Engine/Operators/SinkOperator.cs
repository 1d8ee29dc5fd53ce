using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Operators;

/// <summary>
/// An operator that sends data out of the pipeline: an exporter or writer. It has no output ports
/// (only <c>"dropped"</c>, which the engine feeds with what failed). When <see cref="WriteAsync"/>
/// returns, the batch counts as delivered and its clients hear so; when it throws, as failed: a
/// <see cref="PermanentFailureException"/> tells them not to send it again, any other exception
/// that they may.
/// </summary>
public abstract class SinkOperator : OperatorBase
{
    private static readonly IReadOnlyList<string> NoPorts = [];

    /// <summary>Creates the sink.</summary>
    protected SinkOperator(OperatorContext context) : base(context) { }

    /// <inheritdoc />
    public sealed override OperatorKind Kind => OperatorKind.Sink;

    /// <summary>A sink has no ports besides <c>"dropped"</c>.</summary>
    public sealed override IReadOnlyList<string> OutputPorts => NoPorts;

    /// <summary>Writes one batch out of the pipeline.</summary>
    public abstract ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken);

    /// <summary>Called once when the pipeline drains, after the last batch: flush buffers.</summary>
    public virtual ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
