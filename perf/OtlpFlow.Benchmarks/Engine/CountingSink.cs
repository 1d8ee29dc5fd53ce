using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Benchmarks.Engine;

/// <summary>Counts spans and does nothing else.</summary>
public sealed class CountingSink(OperatorContext context, BenchmarkData data) : SinkOperator(context)
{
    /// <inheritdoc />
    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        data.Deliver(batch.ItemCount);
        return ValueTask.CompletedTask;
    }
}
