using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// <c>flow.backpressure</c>: a buffer with a policy for when downstream is slower than upstream.
/// Batches wait in memory (<c>bufferSize</c>); when that is full, <c>block</c> stops taking input,
/// <c>dropNewest</c> and <c>dropOldest</c> drop (counted), and <c>spill</c> writes to disk within a
/// byte budget and replays in arrival order when downstream catches up.
/// </summary>
/// <remarks>
/// Order with spilling: once anything is on disk every later batch goes to disk too, until the
/// disk is empty again, and the sender takes from memory before disk. Everything in memory is
/// therefore older than everything on disk, and the output keeps arrival order.
/// </remarks>
[Operator("flow.backpressure", Options = typeof(BackpressureOptions), Description = "Buffers for a slow downstream: block, dropNewest, dropOldest, or spill to disk and replay in order.",
    Example = """{ "policy": "dropOldest", "bufferSize": 16 }""")]
public sealed partial class BackpressureOperator : BufferedSenderOperator
{
    /// <summary>The drop reason counted when the buffer is full.</summary>
    public const string DropReason = "bufferFull";

    private readonly BackpressureOptions _options;
    private readonly Queue<TelemetryBatch> _memory = new();
    private SpillBuffer? _spill;

    /// <summary>Creates the operator.</summary>
    public BackpressureOperator(BackpressureOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>Batches buffered in memory now.</summary>
    public int BufferedInMemory
    {
        get
        {
            lock (SyncRoot)
            {
                return _memory.Count;
            }
        }
    }

    /// <summary>Batches spilled to disk now.</summary>
    public int Spilled
    {
        get
        {
            lock (SyncRoot)
            {
                return _spill?.Count ?? 0;
            }
        }
    }

    /// <summary>Bytes in spill files now.</summary>
    public long SpilledBytes
    {
        get
        {
            lock (SyncRoot)
            {
                return _spill?.BytesOnDisk ?? 0;
            }
        }
    }

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Policy == BackpressurePolicy.Spill)
        {
            _spill = new SpillBuffer(_options.SpillPath, _options.SpillBudget.Bytes);
        }

        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        while (true)
        {
            TelemetryBatch? evicted = null;
            lock (SyncRoot)
            {
                var spilling = _spill is { Count: > 0 };
                if (!spilling && _memory.Count < _options.BufferSize)
                {
                    _memory.Enqueue(batch.Retain());
                    Signal();
                    return;
                }

                switch (_options.Policy)
                {
                    case BackpressurePolicy.DropNewest:
                        evicted = batch;
                        break;
                    case BackpressurePolicy.DropOldest:
                        evicted = _memory.Dequeue();
                        _memory.Enqueue(batch.Retain());
                        break;
                    case BackpressurePolicy.Spill:
                        if (_spill!.TryWrite(batch, _options.SettleOnSpill))
                        {
                            Signal();
                            return;
                        }

                        break;
                }
            }

            if (evicted is not null)
            {
                // The evicted batch is this call's input or one retained by an earlier call: either
                // leaves through this call's output.
                await output.DropAsync(evicted, DropReason, cancellationToken).ConfigureAwait(false);
                return;
            }

            // Full (and the spill too): this call sends what goes next itself, waiting for downstream.
            await SendNextAsync(output, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        lock (SyncRoot)
        {
            _spill?.Dispose();
            _spill = null;
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>Memory first: everything in memory is older than everything on disk.</remarks>
    protected override TelemetryBatch? TakeNext()
    {
        if (_memory.Count > 0)
        {
            return _memory.Dequeue();
        }

        if (_spill is not { Count: > 0 })
        {
            return null;
        }

        try
        {
            return _spill.Read();
        }
        catch (Exception ex) when (ex is IOException or Google.Protobuf.InvalidProtocolBufferException)
        {
            LogSpillReadFailed(Context.Logger, Context.Id, ex);
            throw new OperatorFaultException($"operator '{Context.Id}': the spill buffer could not be read back: {ex.Message}", ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "operator '{OperatorId}': reading the spill buffer failed")]
    private static partial void LogSpillReadFailed(ILogger logger, string operatorId, Exception exception);
}
