using Microsoft.Extensions.DependencyInjection;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Hosting.Tests.TestOperators;

/// <summary>A sink that keeps every metrics export request it receives in a <see cref="CollectedMetrics"/> from the host's services.</summary>
[Operator("test.metrics", Description = "Keeps metrics requests.")]
public sealed class MetricsCollector(OperatorContext context) : SinkOperator(context)
{
    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        if (batch.Metrics is { } metrics)
        {
            Context.Services.GetRequiredService<CollectedMetrics>().Add(metrics);
        }

        return ValueTask.CompletedTask;
    }
}
