using System.Collections.Concurrent;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Testing;

/// <summary>
/// An <see cref="IOperatorOutput"/> that keeps what an operator emits, for testing an operator
/// outside a pipeline (ours and users' custom ones). Every port counts as linked.
/// </summary>
public sealed class RecordingOutput : IOperatorOutput
{
    private readonly ConcurrentQueue<(string Port, TelemetryBatch Batch)> _emitted = new();
    private readonly ConcurrentDictionary<string, long> _dropped = new(StringComparer.Ordinal);
    private long _returned;

    /// <summary>Everything emitted, in order, with its port (drops go to <c>"dropped"</c>).</summary>
    public IReadOnlyList<(string Port, TelemetryBatch Batch)> Emitted => _emitted.ToArray();

    /// <summary>The batches emitted to one port.</summary>
    public IReadOnlyList<TelemetryBatch> On(string port = IOperatorOutput.DefaultPort) =>
        _emitted.Where(e => e.Port == port).Select(e => e.Batch).ToArray();

    /// <summary>Dropped items by reason.</summary>
    public IReadOnlyDictionary<string, long> Dropped => _dropped;

    /// <summary>Items emitted to every port but <c>"dropped"</c>.</summary>
    public long ItemsOut => _emitted.Where(e => e.Port != IOperatorOutput.DroppedPort).Sum(e => (long)e.Batch.ItemCount);

    /// <summary>Items dropped for any reason.</summary>
    public long ItemsDropped => _dropped.Values.Sum();

    /// <inheritdoc />
    public ValueTask EmitAsync(TelemetryBatch batch, CancellationToken cancellationToken = default) =>
        EmitAsync(IOperatorOutput.DefaultPort, batch, cancellationToken);

    /// <inheritdoc />
    public ValueTask EmitAsync(string port, TelemetryBatch batch, CancellationToken cancellationToken = default)
    {
        _emitted.Enqueue((port, batch));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DropAsync(TelemetryBatch batch, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        CountDropped(batch.ItemCount, reason);
        _emitted.Enqueue((IOperatorOutput.DroppedPort, batch));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void CountDropped(long items, string reason) => _dropped.AddOrUpdate(reason, items, (_, n) => n + items);

    /// <inheritdoc />
    public void CountReturned(long items) => Interlocked.Add(ref _returned, items);

    /// <summary>Items counted by <see cref="CountReturned"/>.</summary>
    public long Returned => Interlocked.Read(ref _returned);

    /// <inheritdoc />
    public bool IsLinked(string port) => true;
}
