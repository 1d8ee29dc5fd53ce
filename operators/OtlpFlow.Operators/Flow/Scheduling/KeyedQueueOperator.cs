using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// What the schedulers share: batches are split by a <see cref="FlowKey"/> and held in per-key queues
/// (retained); each tick picks what goes next once downstream took the last one. The choice is the derived class's: fair shares, priorities.
/// </summary>
public abstract class KeyedQueueOperator : BufferedSenderOperator
{
    /// <summary>The drop reason counted for batches refused by a full queue.</summary>
    public const string DropReason = "queueFull";

    private readonly FlowKey _key;
    private readonly int _queueCapacity;
    private readonly QueueFullAction _onFull;

    /// <summary>Creates the operator.</summary>
    private protected KeyedQueueOperator(OperatorContext context, FlowKey key, int queueCapacity, QueueFullAction onFull) : base(context)
    {
        ArgumentNullException.ThrowIfNull(key);
        _key = key;
        _queueCapacity = queueCapacity;
        _onFull = onFull;
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
            var part = groups.Count == 1 ? batch : batch.Derive(payload);
            await EnqueueAsync(key, part, output, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Batches queued for <paramref name="key"/> (called holding <see cref="BufferedSenderOperator.SyncRoot"/>).</summary>
    protected abstract int QueuedFor(string key);

    /// <summary>Queues a batch for <paramref name="key"/> (called holding <see cref="BufferedSenderOperator.SyncRoot"/>).</summary>
    protected abstract void Enqueue(string key, TelemetryBatch batch);

    /// <summary>Takes the batch that goes next, or null when none is queued (called holding <see cref="BufferedSenderOperator.SyncRoot"/>).</summary>
    protected abstract TelemetryBatch? Dequeue();

    /// <inheritdoc />
    protected sealed override TelemetryBatch? TakeNext() => Dequeue();

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
            lock (SyncRoot)
            {
                if (QueuedFor(key) < _queueCapacity)
                {
                    Enqueue(key, part.Retain());
                    Signal();
                    return;
                }
            }

            if (_onFull == QueueFullAction.DropNewest)
            {
                await output.DropAsync(part, DropReason, cancellationToken).ConfigureAwait(false);
                return;
            }

            // Full: this call sends what goes next itself, and so waits for downstream (backpressure).
            await SendNextAsync(output, cancellationToken).ConfigureAwait(false);
        }
    }
}
