using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Arrow.Tests.Support;

/// <summary>A <c>test.fail</c> sink whose every write fails.</summary>
[Operator("test.fail")]
public sealed class FailingSink(OperatorContext context) : SinkOperator(context)
{
    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("the test sink refuses everything");
}
