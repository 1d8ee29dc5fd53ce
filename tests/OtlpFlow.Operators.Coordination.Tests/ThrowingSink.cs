using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Coordination.Tests;

/// <summary>A target that is down: every write fails (that batch's acknowledgement fails; the pipeline goes on).</summary>
public sealed class ThrowingSink(OperatorContext context) : SinkOperator(context)
{
    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("target unavailable");
}
