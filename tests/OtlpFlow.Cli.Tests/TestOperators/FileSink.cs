using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Cli.Tests.TestOperators;

public sealed class FileSink(FileSinkOptions options, OperatorContext context) : SinkOperator(context)
{
    public FileSinkOptions Options { get; } = options;

    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
