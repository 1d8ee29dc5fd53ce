using System.Collections.Concurrent;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Tests.Flow;

/// <summary>
/// An output standing for a slow downstream: each emission waits for a permit the test hands out
/// with <see cref="Allow"/>. Drops are recorded at once and refuse their share, as the engine does
/// when nothing reads the dropped port.
/// </summary>
internal sealed class GatedOutput : IOperatorOutput, IDisposable
{
    private readonly SemaphoreSlim _gate = new(0);
    private readonly ConcurrentQueue<TelemetryBatch> _emitted = new();
    private readonly ConcurrentQueue<TelemetryBatch> _dropped = new();
    private int _waiting;

    public GatedOutput(bool open = false)
    {
        if (open)
        {
            _gate.Release(int.MaxValue / 2);
        }
    }

    public IReadOnlyList<TelemetryBatch> Emitted => _emitted.ToArray();

    public IReadOnlyList<TelemetryBatch> Dropped => _dropped.ToArray();

    /// <summary>Emissions parked at the gate.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public void Allow(int count = 1) => _gate.Release(count);

    public void Open() => _gate.Release(int.MaxValue / 2);

    public ValueTask EmitAsync(TelemetryBatch batch, CancellationToken cancellationToken = default) =>
        EmitAsync(IOperatorOutput.DefaultPort, batch, cancellationToken);

    public async ValueTask EmitAsync(string port, TelemetryBatch batch, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _waiting);
        await _gate.WaitAsync(cancellationToken);
        Interlocked.Decrement(ref _waiting);
        _emitted.Enqueue(batch);
        batch.Ack.Deliver();
    }

    public ValueTask DropAsync(TelemetryBatch batch, string reason, CancellationToken cancellationToken = default)
    {
        _dropped.Enqueue(batch);
        batch.Ack.Refuse(batch.ItemCount, reason);
        return ValueTask.CompletedTask;
    }

    public void CountDropped(long items, string reason)
    {
    }

    public void CountReturned(long items)
    {
    }

    public bool IsLinked(string port) => true;

    public void Dispose() => _gate.Dispose();
}
