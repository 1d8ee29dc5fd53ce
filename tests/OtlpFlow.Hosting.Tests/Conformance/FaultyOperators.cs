using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Hosting.Tests.Conformance;

/// <summary>Breaks the acknowledgement rule: takes a share of every batch it passes on and never settles it.</summary>
public sealed class LeaksSharesOperator(OperatorContext context) : ProcessorOperator(context)
{
    private readonly List<Acknowledgement> _kept = [];

    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        lock (_kept)
        {
            _kept.Add(batch.Ack.AddShare());
        }

        return output.EmitAsync(batch, cancellationToken);
    }
}

/// <summary>Breaks conservation: passes on every other batch and forgets the rest without dropping them.</summary>
public sealed class LosesBatchesOperator(OperatorContext context) : ProcessorOperator(context)
{
    private int _seen;

    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken) =>
        Interlocked.Increment(ref _seen) % 2 == 0 ? output.EmitAsync(batch, cancellationToken) : ValueTask.CompletedTask;
}

/// <summary>Breaks the error rule: every batch throws.</summary>
public sealed class ThrowingOperator(OperatorContext context) : ProcessorOperator(context)
{
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("broken on purpose");
}
