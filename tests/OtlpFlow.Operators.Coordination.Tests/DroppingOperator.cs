using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Coordination.Tests;

/// <summary>A broken version of a pipeline: refuses every batch (to its <c>dropped</c> port, counted), as an overloaded or misconfigured stage would.</summary>
public sealed class DroppingOperator(OperatorContext context) : ProcessorOperator(context)
{
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken) =>
        output.DropAsync(batch, "broken", cancellationToken);
}
