using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Otlp.Tests.LoadBalancing;

/// <summary>A real slow sink behind a receiver: each batch takes <see cref="SlowLoopbackSinkOptions.Delay"/>.</summary>
[Operator("test.lb.slow", Options = typeof(SlowLoopbackSinkOptions))]
public sealed class SlowLoopbackSink(SlowLoopbackSinkOptions options, OperatorContext context) : SinkOperator(context)
{
    private long _items;

    public long Items => Interlocked.Read(ref _items);

    public override async ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        await Task.Delay(options.Delay, Context.TimeProvider, cancellationToken);
        Interlocked.Add(ref _items, batch.ItemCount);
    }
}
