using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Benchmarks.Engine;

/// <summary>Emits the requests written to <see cref="BenchmarkData.Input"/>, the way a receiver hands over decoded requests (whose size it knows).</summary>
public sealed class InMemorySource(OperatorContext context, BenchmarkData data) : SourceOperator(context)
{
    /// <inheritdoc />
    public override async Task RunAsync(IOperatorOutput output, CancellationToken stopToken)
    {
        try
        {
            await foreach (var request in data.Input.Reader.ReadAllAsync(stopToken).ConfigureAwait(false))
            {
                await output.EmitAsync(TelemetryBatch.Create(request, sizeBytes: data.RequestSize), stopToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopToken.IsCancellationRequested)
        {
            // Stopped by the benchmark's cleanup.
        }
    }
}
