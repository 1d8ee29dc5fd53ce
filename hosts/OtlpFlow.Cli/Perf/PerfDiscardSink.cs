using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Cli.Perf;

/// <summary>
/// <c>perf.discard</c>: a sink that accepts every batch and keeps nothing, so that a perf graph
/// measures the operators before it and not the cost of writing somewhere. Known to
/// <c>otlpflow perf</c> only.
/// </summary>
internal sealed class PerfDiscardSink(OperatorContext context) : SinkOperator(context)
{
    /// <summary>The type name it is registered under, for perf runs only.</summary>
    public const string TypeName = "perf.discard";

    /// <inheritdoc />
    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
