using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Arrow.Tests.Support;

/// <summary>A <c>test.stall</c> sink that holds its first batch until <see cref="Release"/>, then takes everything.</summary>
[Operator("test.stall")]
public sealed class StallingSink(OperatorContext context) : SinkOperator(context)
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _writes;
    private long _items;

    /// <summary>Items written so far.</summary>
    public long Items => Interlocked.Read(ref _items);

    /// <summary>Lets the held batch, and every later one, through.</summary>
    public void Release() => _released.TrySetResult();

    public override async ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (Interlocked.Increment(ref _writes) == 1)
        {
            await _released.Task.WaitAsync(cancellationToken);
        }

        Interlocked.Add(ref _items, batch.ItemCount);
    }
}
