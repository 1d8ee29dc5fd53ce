using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Hosting.Tests.TestOperators;

/// <summary>A sink that cannot start.</summary>
[Operator("test.failstart", Description = "Fails to start.")]
public sealed class FailingStartSink(OperatorContext context) : SinkOperator(context)
{
    public override Task StartAsync(CancellationToken cancellationToken) =>
        throw new InvalidOperationException("port 4317 is taken");

    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
