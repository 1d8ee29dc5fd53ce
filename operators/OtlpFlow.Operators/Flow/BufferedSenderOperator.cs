using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// What the buffering flow operators share: <see cref="ProcessorOperator.ProcessAsync"/> puts
/// batches into a buffer of the derived class's making (keeping their acknowledgements open), and
/// one sender takes them out with <see cref="TakeNext"/> whenever downstream has room. Because the
/// sender waits for downstream, what goes next is chosen at the last moment. A drain sends
/// everything still buffered.
/// </summary>
public abstract partial class BufferedSenderOperator : ProcessorOperator
{
    private readonly SemaphoreSlim _available = new(0);
    private TaskCompletionSource _room = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _sender = Task.CompletedTask;
    private bool _completing;

    /// <summary>Creates the operator.</summary>
    protected BufferedSenderOperator(OperatorContext context) : base(context) { }

    /// <summary>Guards the buffer; <see cref="TakeNext"/> is called holding it.</summary>
    protected Lock SyncRoot { get; } = new();

    /// <summary>Completes when the sender next takes a batch out (room was freed). Read it holding <see cref="SyncRoot"/>.</summary>
    protected Task RoomFreed => _room.Task;

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _sender = Task.Run(SendAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async ValueTask FlushAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        lock (SyncRoot)
        {
            _completing = true;
        }

        _available.Release();
        await _sender.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        _available.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Tells the sender a batch was buffered.</summary>
    protected void Signal() => _available.Release();

    /// <summary>
    /// Takes the batch that goes next, or null when nothing is buffered (called holding
    /// <see cref="SyncRoot"/>). May throw <see cref="OperatorFaultException"/> when the buffer is broken.
    /// </summary>
    protected abstract TelemetryBatch? TakeNext();

    private async Task SendAsync()
    {
        while (true)
        {
            await _available.WaitAsync().ConfigureAwait(false);
            TelemetryBatch? next;
            TaskCompletionSource room;
            lock (SyncRoot)
            {
                next = TakeNext();
                if (next is null && _completing)
                {
                    return;
                }

                room = _room;
                _room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            room.TrySetResult();
            if (next is null)
            {
                continue;
            }

            try
            {
                await Output.EmitAsync(next, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                next.Ack.Fail(next.ItemCount, ex);
                Output.CountDropped(next.ItemCount, "error");
                LogEmitFailed(Context.Logger, Context.Id, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': sending a buffered batch failed")]
    private static partial void LogEmitFailed(ILogger logger, string operatorId, Exception exception);
}
