using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Testing.Tests;

// Operators a plugin author could write, registered from this assembly as a plugin's would be.

/// <summary>Emits every span of a batch as its own derived batch: correct, and conserved.</summary>
[Operator("test.split")]
public sealed class SplitOperator(OperatorContext context) : ProcessorOperator(context)
{
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        foreach (var span in Requests.Spans(batch.Traces!))
        {
            await output.EmitAsync(batch.Derive(Requests.Traces(span.Clone())), cancellationToken);
        }
    }
}

/// <summary>Passes batches on untouched.</summary>
[Operator("test.pass")]
public sealed class PassOperator(OperatorContext context) : ProcessorOperator(context)
{
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken) =>
        output.EmitAsync(batch, cancellationToken);
}

/// <summary>Passes batches on, but first derives a copy it forgets: the copy's share is never settled.</summary>
[Operator("test.leakDerived")]
public sealed class LeakDerivedOperator(OperatorContext context) : ProcessorOperator(context)
{
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        _ = batch.Derive(batch.Traces!.Clone()); // meant to be emitted, and never is
        return output.EmitAsync(batch, cancellationToken);
    }
}

/// <summary>Keeps a share of every batch "to flush later", and forgets to flush: held data never released.</summary>
[Operator("test.leakHeld")]
public sealed class LeakHeldOperator(OperatorContext context) : ProcessorOperator(context)
{
    private readonly List<Acknowledgement> _held = [];

    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        _held.Add(batch.Ack.AddShare());
        return output.EmitAsync(batch, cancellationToken);
    }
}

/// <summary>Sends every batch on twice and counts nothing for the copy: items made from nothing.</summary>
[Operator("test.duplicate")]
public sealed class DuplicateOperator(OperatorContext context) : ProcessorOperator(context)
{
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        await output.EmitAsync(batch.Derive(batch.Traces!.Clone()), cancellationToken);
        await output.EmitAsync(batch, cancellationToken);
    }
}

/// <summary>Fails batches whose first span is named "bad"; drops those whose first span is named "drop".</summary>
[Operator("test.picky")]
public sealed class PickyOperator(OperatorContext context) : ProcessorOperator(context)
{
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken) =>
        Requests.Spans(batch.Traces!).First().Name switch
        {
            "bad" => throw new InvalidOperationException("cannot handle 'bad'"),
            "drop" => output.DropAsync(batch, "picky", cancellationToken),
            _ => output.EmitAsync(batch, cancellationToken),
        };
}

/// <summary>A sink that writes nothing and refuses batches whose first span is named "drop".</summary>
[Operator("test.sink")]
public sealed class NullSinkOperator(OperatorContext context) : SinkOperator(context)
{
    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        if (Requests.Spans(batch.Traces!).First().Name == "drop")
        {
            throw new InvalidOperationException("refused by the destination");
        }

        return ValueTask.CompletedTask;
    }
}
