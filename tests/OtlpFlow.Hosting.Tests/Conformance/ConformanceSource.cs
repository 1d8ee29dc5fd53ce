using Microsoft.Extensions.DependencyInjection;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Generator;

namespace OtlpFlow.Hosting.Tests.Conformance;

/// <summary>
/// The conformance runs' data: the built-in generator's realistic batches (fixed seed, so every run
/// sends the same items), each given a request of its own from the pipeline's <see cref="AckLedger"/>,
/// so that the test can tell whether every request was answered.
/// </summary>
public sealed class ConformanceSource(ConformanceSourceOptions options, OperatorContext context) : SourceOperator(context)
{
    public override Task RunAsync(IOperatorOutput output, CancellationToken stopToken)
    {
        var ledger = Context.Services.GetRequiredService<AckLedger>();
        var generator = new GeneratorOperator(
            new GeneratorOptions { Signal = options.Signal, Count = (long)options.Batches * options.BatchSize, BatchSize = options.BatchSize, Seed = 7 },
            Context);
        return generator.RunAsync(new Tracked(output, ledger), stopToken);
    }

    /// <summary>Re-issues each generated batch under a request started in the ledger.</summary>
    private sealed class Tracked(IOperatorOutput output, AckLedger ledger) : IOperatorOutput
    {
        public ValueTask EmitAsync(TelemetryBatch batch, CancellationToken cancellationToken = default) =>
            EmitAsync(IOperatorOutput.DefaultPort, batch, cancellationToken);

        public ValueTask EmitAsync(string port, TelemetryBatch batch, CancellationToken cancellationToken = default)
        {
            if (!batch.TryGetEncoded(out var encoded))
            {
                throw new InvalidOperationException("the generator emits encoded batches");
            }

            var tracked = TelemetryBatch.CopyEncoded(batch.Signal, encoded, batch.ItemCount, batch.Context, ledger.Start(batch.SizeBytes));
            batch.Ack.Deliver(); // gives the generator's pooled bytes back
            return output.EmitAsync(port, tracked, cancellationToken);
        }

        public ValueTask DropAsync(TelemetryBatch batch, string reason, CancellationToken cancellationToken = default) =>
            output.DropAsync(batch, reason, cancellationToken);

        public void CountDropped(long items, string reason) => output.CountDropped(items, reason);

        public void CountReturned(long items) => output.CountReturned(items);

        public bool IsLinked(string port) => output.IsLinked(port);
    }
}
