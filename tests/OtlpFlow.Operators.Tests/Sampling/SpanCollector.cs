using System.Collections.Concurrent;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Tests.Sampling;

/// <summary>A sink that keeps every span it is given (test only).</summary>
public sealed class SpanCollector(OperatorContext context, CollectedSpans store) : SinkOperator(context)
{
    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        var queue = store.ById.GetOrAdd(Context.Id, _ => new ConcurrentQueue<Span>());
        foreach (var span in SamplingTestData.Spans(batch))
        {
            queue.Enqueue(span);
        }

        return ValueTask.CompletedTask;
    }
}
