using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Tests.Resilience;

/// <summary>A sink that fails every batch while <see cref="Failing"/> is set, and counts what it accepted.</summary>
public sealed class FlakySink(OperatorContext context) : SinkOperator(context)
{
    private long _items;
    private long _failed;

    public bool Failing { get; set; }

    public long Items => Interlocked.Read(ref _items);

    public long FailedItems => Interlocked.Read(ref _failed);

    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        if (Failing)
        {
            Interlocked.Add(ref _failed, batch.ItemCount);
            throw new InvalidOperationException("the peer is down");
        }

        Interlocked.Add(ref _items, batch.ItemCount);
        return ValueTask.CompletedTask;
    }
}
