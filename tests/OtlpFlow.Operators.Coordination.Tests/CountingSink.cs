using System.Collections.Concurrent;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Coordination.Tests;

/// <summary>A sink that keeps what it receives, for pipeline tests.</summary>
public sealed class CountingSink(OperatorContext context) : SinkOperator(context)
{
    private readonly ConcurrentQueue<TelemetryBatch> _received = new();

    public IReadOnlyList<TelemetryBatch> Received => _received.ToArray();

    public long Items => _received.Sum(b => (long)b.ItemCount);

    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        _received.Enqueue(batch);
        return ValueTask.CompletedTask;
    }
}
