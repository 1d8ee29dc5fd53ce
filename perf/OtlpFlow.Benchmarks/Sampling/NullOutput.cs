using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Benchmarks.Sampling;

/// <summary>An output that counts items and settles every acknowledgement at once.</summary>
public sealed class NullOutput : IOperatorOutput
{
    /// <summary>Items emitted to any port.</summary>
    public long ItemsOut { get; private set; }

    /// <summary>Items dropped.</summary>
    public long ItemsDropped { get; private set; }

    /// <inheritdoc />
    public ValueTask EmitAsync(TelemetryBatch batch, CancellationToken cancellationToken = default) =>
        EmitAsync(IOperatorOutput.DefaultPort, batch, cancellationToken);

    /// <inheritdoc />
    public ValueTask EmitAsync(string port, TelemetryBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ItemsOut += batch.ItemCount;
        batch.Ack.Deliver();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DropAsync(TelemetryBatch batch, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ItemsDropped += batch.ItemCount;
        batch.Ack.Refuse(batch.ItemCount, reason);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void CountDropped(long items, string reason) => ItemsDropped += items;

    /// <inheritdoc />
    public void CountReturned(long items)
    {
    }

    /// <inheritdoc />
    public bool IsLinked(string port) => false;
}
