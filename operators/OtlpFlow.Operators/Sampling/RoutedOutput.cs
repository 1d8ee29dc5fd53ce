using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// Sends the spans of one batch to several destinations chosen per span: ports (kept) or drop
/// reasons. A destination that gets every span gets the batch itself; others get derived batches.
/// </summary>
internal static class RoutedOutput
{
    /// <summary>Where spans go: a port (<paramref name="IsDrop"/> false) or a drop reason.</summary>
    public readonly record struct Destination(string Name, bool IsDrop);

    public static async ValueTask SendAsync(
        TelemetryBatch batch,
        ExportTraceServiceRequest request,
        byte[] decisions,
        long[] counts,
        IReadOnlyList<Destination> destinations,
        IOperatorOutput output,
        SamplingCounters counters,
        CancellationToken cancellationToken)
    {
        long total = 0;
        foreach (var count in counts)
        {
            total += count;
        }

        var toDropPort = output.IsLinked(IOperatorOutput.DroppedPort);
        for (var d = 0; d < destinations.Count; d++)
        {
            if (counts[d] == 0)
            {
                continue;
            }

            var destination = destinations[d];
            if (destination.IsDrop)
            {
                counters.CountDropped(counts[d], destination.Name);
                if (!toDropPort)
                {
                    output.CountDropped(counts[d], destination.Name);
                    continue;
                }
            }

            var part = counts[d] == total ? batch : batch.Derive(SpanTable.Select(request, decisions, (byte)d));
            if (destination.IsDrop)
            {
                await output.DropAsync(part, destination.Name, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await output.EmitAsync(destination.Name, part, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
