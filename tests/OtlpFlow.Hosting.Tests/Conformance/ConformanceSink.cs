using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Hosting.Tests.Conformance;

/// <summary>Takes everything it is given; the engine counts it and settles its share as delivered.</summary>
public sealed class ConformanceSink(OperatorContext context) : SinkOperator(context)
{
    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
