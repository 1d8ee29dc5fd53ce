using System.Threading.Tasks.Dataflow;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Operators;

/// <summary>
/// An operator that takes batches in and sends batches out. The easy path: override
/// <see cref="ProcessAsync"/>; the engine hosts it in a bounded block with the declared capacity and
/// parallelism, counts what flows, catches per-batch errors and releases the input's
/// acknowledgement share after the call.
/// </summary>
/// <remarks>
/// Acknowledgement rule: when <see cref="ProcessAsync"/> returns, the engine releases the input
/// batch's share unless the batch itself was emitted or dropped. Batches derived from it
/// (<see cref="TelemetryBatch.Derive"/>) hold their own shares. To keep data past the call (batching,
/// tail sampling), take a share with <see cref="Acknowledgement.AddShare"/> while the call runs.
/// </remarks>
public abstract class ProcessorOperator : OperatorBase
{
    /// <summary>Creates the processor.</summary>
    protected ProcessorOperator(OperatorContext context) : base(context) { }

    private IOperatorOutput? _output;

    /// <inheritdoc />
    public override OperatorKind Kind => OperatorKind.Processor;

    /// <summary>
    /// The operator's ports, for emitting outside <see cref="ProcessAsync"/> (a timer that flushes a
    /// batch). Inside <see cref="ProcessAsync"/> and <see cref="FlushAsync"/> use the output passed in.
    /// </summary>
    /// <exception cref="InvalidOperationException">Before <see cref="AttachOutput"/>.</exception>
    protected IOperatorOutput Output => _output ?? throw new InvalidOperationException("The operator is not attached to a pipeline yet.");

    /// <summary>Gives the operator its ports. The engine calls it before start; tests may call it with a <c>RecordingOutput</c>.</summary>
    public void AttachOutput(IOperatorOutput output) => _output = output ?? throw new ArgumentNullException(nameof(output));

    /// <summary>Handles one batch. Throwing fails this batch only; see <see cref="OperatorFaultException"/> for fatal errors.</summary>
    public abstract ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken);

    /// <summary>Called once after the last batch, when the pipeline drains: emit whatever is held.</summary>
    public virtual ValueTask FlushAsync(IOperatorOutput output, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// Full control: return your own Dataflow arrangement for this operator's input, or null (the
    /// default) for the engine's block around <see cref="ProcessAsync"/>. The block's
    /// <see cref="IDataflowBlock.Completion"/> must complete only after everything it accepted was
    /// handled, and the block owns the acknowledgement of every batch it accepts.
    /// </summary>
    public virtual ITargetBlock<TelemetryBatch>? CreateBlock(IOperatorOutput output, ExecutionDataflowBlockOptions options) => null;
}
