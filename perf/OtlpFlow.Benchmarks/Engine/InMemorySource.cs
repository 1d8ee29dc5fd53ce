using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Benchmarks.Engine;

/// <summary>Emits prepared batches, the way a receiver hands over decoded requests (whose size it knows).</summary>
public sealed class InMemorySource(OperatorContext context, BenchmarkData data) : SourceOperator(context)
{
    /// <inheritdoc />
    public override async Task RunAsync(IOperatorOutput output, CancellationToken stopToken)
    {
        foreach (var request in data.Requests)
        {
            await output.EmitAsync(TelemetryBatch.Create(request, sizeBytes: data.RequestSize), stopToken).ConfigureAwait(false);
        }
    }
}
