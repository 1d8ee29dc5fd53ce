using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// What the schedulers share: batches are split by a <see cref="FlowKey"/>, held in per-key queues
/// (their acknowledgements kept open), and one sender picks what goes next whenever downstream
/// takes a batch. The choice is the derived class's: fair shares, priorities. Because the sender
/// waits for downstream, the choice is made at the last moment, when it matters.
/// </summary>
public abstract partial class KeyedQueueOperator : ProcessorOperator
{
    /// <summary>The drop reason counted for batches refused by a full queue.</summary>
    public const string DropReason = "queueFull";

    private readonly FlowKey _key;
    private readonly int _queueCapacity;
    private readonly QueueFullAction _onFull;
    private readonly SemaphoreSlim _available = new(0);
    private TaskCompletionSource _room = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _sender = Task.CompletedTask;
    private bool _completing;

    /// <summary>Creates the operator.</summary>
    protected KeyedQueueOperator(OperatorContext context, FlowKey key, int queueCapacity, QueueFullAction onFull) : base(context)
    {
        ArgumentNullException.ThrowIfNull(key);
        _key = key;
        _queueCapacity = queueCapacity;
        _onFull = onFull;
    }

    /// <summary>Guards the queues; derived classes' queue methods are called holding it.</summary>
    protected Lock SyncRoot { get; } = new();

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _sender = Task.Run(SendAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        var groups = _key.Split(batch);
        for (var i = 0; i < groups.Count; i++)
        {
            var (key, payload) = groups[i];
            var part = groups.Count == 1 ? HeldBatch.Hold(batch) : batch.Derive(payload);
            try
            {
                await EnqueueAsync(key, part, output, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                part.Ack.Fail(part.ItemCount, ex);
                throw;
            }
        }
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

    /// <summary>Batches queued for <paramref name="key"/> (called holding <see cref="SyncRoot"/>).</summary>
    protected abstract int QueuedFor(string key);

    /// <summary>Queues a batch for <paramref name="key"/> (called holding <see cref="SyncRoot"/>).</summary>
    protected abstract void Enqueue(string key, TelemetryBatch batch);

    /// <summary>Takes the batch that goes next, or null when none is queued (called holding <see cref="SyncRoot"/>).</summary>
    protected abstract TelemetryBatch? Dequeue();

    /// <summary>The weight of a batch in a unit.</summary>
    protected static long Weight(TelemetryBatch batch, RateLimitUnit unit) => unit switch
    {
        RateLimitUnit.Bytes => batch.SizeBytes,
        RateLimitUnit.Batches => 1,
        _ => batch.ItemCount,
    };

    private async ValueTask EnqueueAsync(string key, TelemetryBatch part, IOperatorOutput output, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task room;
            lock (SyncRoot)
            {
                if (QueuedFor(key) < _queueCapacity)
                {
                    Enqueue(key, part);
                    _available.Release();
                    return;
                }

                room = _room.Task;
            }

            if (_onFull == QueueFullAction.DropNewest)
            {
                await output.DropAsync(part, DropReason, cancellationToken).ConfigureAwait(false);
                return;
            }

            await room.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SendAsync()
    {
        while (true)
        {
            await _available.WaitAsync().ConfigureAwait(false);
            TelemetryBatch? next;
            TaskCompletionSource room;
            lock (SyncRoot)
            {
                next = Dequeue();
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': sending a scheduled batch failed")]
    private static partial void LogEmitFailed(ILogger logger, string operatorId, Exception exception);
}
