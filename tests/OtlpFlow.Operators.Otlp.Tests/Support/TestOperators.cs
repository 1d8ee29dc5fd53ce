using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Otlp.Tests.Support;

public sealed class ProbeOptions
{
    public string Name { get; set; } = string.Empty;
}

/// <summary>A sink that hands every batch to the <see cref="Probe"/> of its name.</summary>
[Operator("test.probe", Options = typeof(ProbeOptions))]
public sealed class ProbeSink(ProbeOptions options, OperatorContext context) : SinkOperator(context)
{
    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken) =>
        Probe.Get(options.Name).WriteAsync(batch, cancellationToken);
}

/// <summary>A processor that refuses every batch, as a policy would.</summary>
[Operator("test.refuse")]
public sealed class RefuseProcessor(OperatorContext context) : ProcessorOperator(context)
{
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken) =>
        output.DropAsync(batch, "test-policy", cancellationToken);
}

/// <summary>A sink whose every write fails.</summary>
[Operator("test.fail")]
public sealed class FailSink(OperatorContext context) : SinkOperator(context)
{
    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("the test sink fails every batch");
}

/// <summary>A sink whose every write fails for good, as a unique-key violation would.</summary>
[Operator("test.failPermanent")]
public sealed class FailPermanentSink(OperatorContext context) : SinkOperator(context)
{
    public const string Message = "order 42 already exists";

    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken) =>
        throw new PermanentFailureException(Message, new InvalidOperationException("UNIQUE constraint failed: orders.id at line 7 of internal.sql"));
}
