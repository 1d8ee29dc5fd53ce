using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Tests.Routing;

/// <summary>A real slow sink: each batch takes <see cref="SlowSinkOptions.Delay"/> to write.</summary>
public sealed class SlowSink(SlowSinkOptions options, OperatorContext context) : SinkOperator(context)
{
    private long _items;

    public long Items => Interlocked.Read(ref _items);

    public override async ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        await Task.Delay(options.Delay, Context.TimeProvider, cancellationToken);
        Interlocked.Add(ref _items, batch.ItemCount);
    }
}
