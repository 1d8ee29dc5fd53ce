using Microsoft.Extensions.DependencyInjection;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Hosting.Tests.TestOperators;

/// <summary>A sink that adds the spans it receives to a <see cref="SpanTally"/> from the host's services.</summary>
[Operator("test.count", Description = "Counts spans.")]
public sealed class SpanCounter(OperatorContext context) : SinkOperator(context)
{
    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        Context.Services.GetService<SpanTally>()?.Add(batch.ItemCount);
        return ValueTask.CompletedTask;
    }
}
