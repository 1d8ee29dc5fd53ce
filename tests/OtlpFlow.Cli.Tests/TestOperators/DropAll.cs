using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Cli.Tests.TestOperators;

/// <summary>Refuses every batch, for reason "filtered".</summary>
public sealed class DropAll(OperatorContext context) : ProcessorOperator(context)
{
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken) =>
        output.DropAsync(batch, "filtered", cancellationToken);
}
