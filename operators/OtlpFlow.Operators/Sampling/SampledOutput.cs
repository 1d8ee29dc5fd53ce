using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// Sends the outcome of a per-span decision over one batch: the kept spans on <c>out</c> (the batch
/// itself when all are kept), and the dropped ones by reason, to the <c>dropped</c> port when it is
/// linked or only counted otherwise.
/// </summary>
internal static class SampledOutput
{
    /// <summary>Decision value of a kept span; a dropped span's decision is the index of its reason.</summary>
    public const byte Keep = 0;

    /// <param name="batch">The input batch.</param>
    /// <param name="request">Its payload.</param>
    /// <param name="decisions">Per span: <see cref="Keep"/> or the index (1 or more) of a drop reason.</param>
    /// <param name="dropsByReason">Spans dropped per reason index.</param>
    /// <param name="reasons">Drop reason names by index (index 0 unused).</param>
    /// <param name="output">The operator's output.</param>
    /// <param name="counters">The sampler's counters, which get the drops.</param>
    /// <param name="cancellationToken">Cancels sending.</param>
    public static async ValueTask SendAsync(
        TelemetryBatch batch,
        ExportTraceServiceRequest request,
        byte[] decisions,
        long[] dropsByReason,
        string[] reasons,
        IOperatorOutput output,
        SamplingCounters counters,
        CancellationToken cancellationToken)
    {
        long dropped = 0;
        for (var k = 1; k < dropsByReason.Length; k++)
        {
            dropped += dropsByReason[k];
        }

        var total = OtlpItems.Count(request);
        var kept = total - dropped;
        var toDropPort = output.IsLinked(IOperatorOutput.DroppedPort);
        for (var k = 1; k < dropsByReason.Length; k++)
        {
            if (dropsByReason[k] == 0)
            {
                continue;
            }

            counters.CountDropped(dropsByReason[k], reasons[k]);
            if (!toDropPort)
            {
                output.CountDropped(dropsByReason[k], reasons[k]);
            }
            else if (dropsByReason[k] == total)
            {
                await output.DropAsync(batch, reasons[k], cancellationToken).ConfigureAwait(false);
                return;
            }
            else
            {
                var part = batch.Derive(SpanTable.Select(request, decisions, (byte)k));
                await output.DropAsync(part, reasons[k], cancellationToken).ConfigureAwait(false);
            }
        }

        if (kept == total)
        {
            await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        else if (kept > 0)
        {
            await output.EmitAsync(batch.Derive(SpanTable.Select(request, decisions, Keep)), cancellationToken).ConfigureAwait(false);
        }
    }
}
