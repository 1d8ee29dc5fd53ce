using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Tests.Shared;

/// <summary>A sink that fails fatally on its first batch.</summary>
[Operator("test.fail", Description = "Fails on the first batch.")]
public sealed class FailingSink(OperatorContext context) : SinkOperator(context)
{
    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken) =>
        throw new OperatorFaultException("disk full");
}
