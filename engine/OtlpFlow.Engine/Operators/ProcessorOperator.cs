using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Operators;

/// <summary>
/// An operator that takes batches in and sends batches out. Override <see cref="ProcessAsync"/>;
/// the engine hosts it in a bounded block with the declared capacity and parallelism, counts what
/// flows, catches per-batch errors and settles acknowledgements. Periodic work goes in
/// <see cref="TickAsync"/>, which the engine runs in turn with <see cref="ProcessAsync"/>.
/// </summary>
/// <remarks>
/// <para>The output passed to each call is the operator's only way out, and it owns what the call
/// made: when a call ends, the engine settles the input batch and every batch derived from it
/// (<see cref="TelemetryBatch.Derive(Google.Protobuf.IMessage)"/>) that the call neither emitted, dropped nor retained. So an
/// operator never touches acknowledgements: it emits, drops, or keeps a batch with
/// <see cref="TelemetryBatch.Retain"/> and emits it later.</para>
/// <para>A call that throws fails the batches it still owned (a
/// <see cref="PermanentFailureException"/> tells clients not to retry); the operator goes on.</para>
/// </remarks>
public abstract class ProcessorOperator : OperatorBase
{
    private Action<TimeSpan>? _tickRequested;

    /// <summary>Creates the processor.</summary>
    protected ProcessorOperator(OperatorContext context) : base(context) { }

    /// <inheritdoc />
    public override OperatorKind Kind => OperatorKind.Processor;

    /// <summary>
    /// How often the engine calls <see cref="TickAsync"/>; zero (the default) for no periodic tick.
    /// Read once, after <see cref="OperatorBase.StartAsync"/>. <see cref="RequestTick"/> asks for an
    /// earlier one at any time.
    /// </summary>
    public virtual TimeSpan TickInterval => TimeSpan.Zero;

    /// <summary>Handles one batch. Throwing fails this batch only; see <see cref="OperatorFaultException"/> for fatal errors.</summary>
    public abstract ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken);

    /// <summary>
    /// Periodic work (a window that closes, a decision that is due), run by the engine every
    /// <see cref="TickInterval"/> and when <see cref="RequestTick"/> asked for it; never at the same
    /// time as <see cref="ProcessAsync"/> or another tick, and no more once the input has ended
    /// (<see cref="FlushAsync"/> comes after the last tick). The time is the context's
    /// <see cref="OperatorContext.TimeProvider"/>. An exception is counted and logged, and the
    /// ticks go on; <see cref="OperatorFaultException"/> stops the pipeline.
    /// </summary>
    public virtual ValueTask TickAsync(IOperatorOutput output, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Called once after the last batch and the last tick, when the pipeline drains: emit whatever is held.</summary>
    public virtual ValueTask FlushAsync(IOperatorOutput output, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// Asks the engine for a tick within <paramref name="dueIn"/> (zero: as soon as the operator's
    /// turn comes), earlier than <see cref="TickInterval"/> would give. Safe from any thread; does
    /// nothing outside a running pipeline.
    /// </summary>
    protected void RequestTick(TimeSpan dueIn) => Volatile.Read(ref _tickRequested)?.Invoke(dueIn < TimeSpan.Zero ? TimeSpan.Zero : dueIn);

    /// <summary>True when the operator overrides <see cref="TickAsync"/>: the engine then runs ticks for it.</summary>
    internal bool HasTicks =>
        GetType().GetMethod(nameof(TickAsync), [typeof(IOperatorOutput), typeof(CancellationToken)])!.DeclaringType != typeof(ProcessorOperator);

    /// <summary>Connects <see cref="RequestTick"/> to the engine's tick loop.</summary>
    internal void OnTickRequested(Action<TimeSpan>? requested) => Volatile.Write(ref _tickRequested, requested);
}
