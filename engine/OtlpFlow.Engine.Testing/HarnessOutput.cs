using System.Collections.Concurrent;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Testing;

/// <summary>
/// What reached one output port of the operator under test, through a bounded edge into a harness
/// sink. <see cref="Hold"/> stops the sink from taking more, so backpressure reaches the operator as
/// it would from a slow exporter.
/// </summary>
public sealed class HarnessOutput
{
    private readonly ConcurrentQueue<TelemetryBatch> _batches = new();
    private readonly ConcurrentQueue<(string Port, TelemetryBatch Batch)> _all;
    private TaskCompletionSource? _gate;
    private int _held;

    internal HarnessOutput(string port, int capacity, ConcurrentQueue<(string Port, TelemetryBatch Batch)> all)
    {
        Port = port;
        Capacity = capacity;
        _all = all;
    }

    /// <summary>The port's name.</summary>
    public string Port { get; }

    /// <summary>The bounded capacity, in batches, of the edge into this output.</summary>
    public int Capacity { get; }

    /// <summary>The batches that went through, in the order they arrived.</summary>
    public IReadOnlyList<TelemetryBatch> Batches => _batches.ToArray();

    /// <summary>Items in <see cref="Batches"/>.</summary>
    public long Items => _batches.Sum(b => (long)b.ItemCount);

    /// <summary>Batches waiting at this output because it is held: at most one, as a slow sink holds the batch it is writing.</summary>
    public int HeldBatches => Volatile.Read(ref _held);

    /// <summary>Stops taking batches until <see cref="Release"/>: the edge fills and the operator's emits wait.</summary>
    public void Hold() => Interlocked.CompareExchange(ref _gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);

    /// <summary>
    /// Answers each batch this output receives, as the exporter behind the port would: runs after the
    /// batch is recorded and before the engine settles its share as delivered. Throw to fail the batch
    /// (a peer that is down), or refuse part of it with <c>batch.Ack.AddShare().Refuse(n, reason)</c>.
    /// Null (the default) delivers every batch.
    /// </summary>
    public Action<TelemetryBatch>? Answer { get; set; }

    /// <summary>Takes batches again, starting with the one held.</summary>
    public void Release() => Interlocked.Exchange(ref _gate, null)?.TrySetResult();

    internal async ValueTask PassAsync(CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref _gate) is { } gate)
        {
            Interlocked.Increment(ref _held);
            try
            {
                await gate.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _held);
            }
        }
    }

    internal void Record(TelemetryBatch batch)
    {
        _batches.Enqueue(batch);
        _all.Enqueue((Port, batch));
    }
}
