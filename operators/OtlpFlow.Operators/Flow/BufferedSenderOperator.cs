using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// What the buffering flow operators share: <see cref="ProcessorOperator.ProcessAsync"/> retains
/// batches in a buffer of the derived class's making, and asks for a tick; each tick sends the
/// batch that goes next (<see cref="TakeNext"/>). The engine sends a tick's batch after the tick's
/// turn, while input goes on arriving, and runs the next tick only once downstream took it, so what
/// goes next is chosen at the last moment. A full buffer sends its next batch from the call that
/// found it full; a drain sends everything still buffered.
/// </summary>
public abstract class BufferedSenderOperator : ProcessorOperator
{
    /// <summary>Creates the operator.</summary>
    protected BufferedSenderOperator(OperatorContext context) : base(context) { }

    /// <summary>Guards the buffer for readers on other threads (properties, metrics); calls and ticks never overlap.</summary>
    protected Lock SyncRoot { get; } = new();

    /// <summary>
    /// Takes the batch that goes next, or null when nothing is buffered. May throw
    /// <see cref="OperatorFaultException"/> when the buffer is broken.
    /// </summary>
    protected abstract TelemetryBatch? TakeNext();

    /// <summary>Tells the engine a batch was buffered: a tick will send what goes next.</summary>
    protected void Signal() => RequestTick(TimeSpan.Zero);

    /// <summary>Sends the batch that goes next now (from a call that found the buffer full); false when none was buffered.</summary>
    protected async ValueTask<bool> SendNextAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        TelemetryBatch? next;
        lock (SyncRoot)
        {
            next = TakeNext();
        }

        if (next is null)
        {
            return false;
        }

        await output.EmitAsync(next, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc />
    public override async ValueTask TickAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        if (await SendNextAsync(output, cancellationToken).ConfigureAwait(false))
        {
            // More may be waiting: the next tick comes once downstream took this one.
            Signal();
        }
    }

    /// <inheritdoc />
    public override async ValueTask FlushAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        while (await SendNextAsync(output, cancellationToken).ConfigureAwait(false))
        {
        }
    }
}
