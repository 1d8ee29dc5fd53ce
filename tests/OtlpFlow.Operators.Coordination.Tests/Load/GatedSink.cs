using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Coordination.Tests.Load;

/// <summary>
/// A sink that takes nothing while its gate is closed, so that its input queue fills up as a real
/// overloaded stage's would (the queue fill the load monitor measures); open, it takes everything.
/// </summary>
public sealed class GatedSink(OperatorContext context) : SinkOperator(context)
{
    private TaskCompletionSource _gate = Opened();
    private long _items;

    public long Items => Interlocked.Read(ref _items);

    public void Close()
    {
        var gate = Volatile.Read(ref _gate);
        if (gate.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), gate);
        }
    }

    public void Open() => Volatile.Read(ref _gate).TrySetResult();

    public override async ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        await Volatile.Read(ref _gate).Task.WaitAsync(cancellationToken);
        Interlocked.Add(ref _items, batch.ItemCount);
    }

    private static TaskCompletionSource Opened()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }
}
