using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Tests.Routing;

/// <summary>A sink whose every write fails (the batch fails; the operator goes on).</summary>
public sealed class FailSink(OperatorContext context) : SinkOperator(context)
{
    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken) =>
        throw new IOException("the test sink fails every batch");
}
