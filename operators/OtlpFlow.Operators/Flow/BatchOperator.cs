using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// Gathers small batches into larger ones, like the Collector's batch processor: sends when
/// <c>size</c> is reached or the oldest data waited <c>timeout</c>, splits at <c>maxSize</c>. Keeps
/// one buffer per signal and tenant, keeps every acknowledgement share (a merged batch holds the
/// shares of all its parts) and never swallows an error: a failed send fails those shares.
/// </summary>
[Operator("batch", Options = typeof(BatchOptions), Description = "Gathers batches up to a size or a timeout, splitting at a maximum size.",
    Example = """{ "size": 2000, "timeout": "500ms" }""")]
public sealed class BatchOperator : GatheringOperator
{
    private readonly BatchOptions _options;

    /// <summary>Creates the operator.</summary>
    public BatchOperator(BatchOptions options, OperatorContext context) : base(context) => _options = options;

    /// <inheritdoc />
    protected override TimeSpan MaxWait => _options.Timeout;

    /// <inheritdoc />
    protected override long WeightOf(TelemetryBatch batch) => _options.Unit == BatchUnit.Items ? batch.ItemCount : batch.SizeBytes;

    /// <inheritdoc />
    protected override bool IsFull(GatheredBatches gathered) => gathered.Weight >= _options.Size;

    /// <inheritdoc />
    protected override async ValueTask SendAsync(GatheredBatches gathered, IOperatorOutput output, bool onTime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(gathered);
        ArgumentNullException.ThrowIfNull(output);
        if (_options.MaxSize == 0 || gathered.Weight <= _options.MaxSize)
        {
            // Encoded parts that need no split are concatenated as bytes: no objects are built.
            if (TelemetryBatch.Concatenate(gathered.Batches, gathered.Context) is { } whole)
            {
                await output.EmitAsync(whole, cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        var payloads = Split(gathered.Merge());
        var merged = Acknowledgement.Merge(gathered.Shares);
        for (var i = 0; i < payloads.Count; i++)
        {
            var ack = i == payloads.Count - 1 ? merged : merged.AddShare();
            var batch = TelemetryBatch.Create(payloads[i], gathered.Context, ack);
            try
            {
                await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // What was not sent is lost: fail its shares so that no client waits for ever.
                output.CountDropped(payloads.Skip(i + 1).Sum(p => (long)TelemetryBatch.Create(p).ItemCount), "error");
                if (i < payloads.Count - 1)
                {
                    merged.Fail(0, ex);
                }

                throw;
            }
        }
    }

    private List<IMessage> Split(IMessage merged)
    {
        var max = _options.MaxSize;
        if (max == 0)
        {
            return [merged];
        }

        var byBytes = _options.Unit == BatchUnit.Bytes;
        return merged switch
        {
            ExportTraceServiceRequest traces => [.. OtlpBatching.Split(traces, max, s => byBytes ? s.CalculateSize() : 1)],
            ExportLogsServiceRequest logs => [.. OtlpBatching.Split(logs, max, l => byBytes ? l.CalculateSize() : 1)],
            _ => [.. OtlpBatching.Split((ExportMetricsServiceRequest)merged, max, p => byBytes ? p.CalculateSize() : 1)],
        };
    }
}
