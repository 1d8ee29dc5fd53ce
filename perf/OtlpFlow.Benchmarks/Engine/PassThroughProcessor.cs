using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Benchmarks.Engine;

/// <summary>A stage that forwards every batch: measures what the engine itself costs per hop.</summary>
public sealed class PassThroughProcessor(OperatorContext context) : ProcessorOperator(context)
{
    /// <inheritdoc />
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken) =>
        output.EmitAsync(batch, cancellationToken);
}
