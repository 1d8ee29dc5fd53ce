using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Cli.Tests.TestOperators;

/// <summary>Sends every batch twice without counting the copy as created: an operator that does not balance.</summary>
public sealed class Doubler(OperatorContext context) : ProcessorOperator(context)
{
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        var copy = batch.Derive(batch.Traces!.Clone());
        await output.EmitAsync(batch, cancellationToken);
        await output.EmitAsync(copy, cancellationToken);
    }
}
