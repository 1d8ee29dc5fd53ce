using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// Batches of one signal and tenant gathered by a <see cref="GatheringOperator"/>, with the
/// acknowledgement share of each (a batch made of them holds all of those shares).
/// </summary>
public sealed class GatheredBatches
{
    internal GatheredBatches(Signal signal, BatchContext context, DateTimeOffset due)
    {
        Signal = signal;
        Context = context;
        Due = due;
    }

    /// <summary>The signal of every batch gathered.</summary>
    public Signal Signal { get; }

    /// <summary>The context of the first batch (same tenant for all).</summary>
    public BatchContext Context { get; }

    /// <summary>When they are sent at the latest.</summary>
    public DateTimeOffset Due { get; }

    /// <summary>
    /// The batches gathered, in arrival order, each holding its own share: an encoded batch stays
    /// encoded while it waits (a few byte arrays, not a graph of objects the collector copies).
    /// </summary>
    public List<TelemetryBatch> Batches { get; } = [];

    /// <summary>The export requests, in arrival order (decoding encoded batches).</summary>
    public IReadOnlyList<IMessage> Payloads => Batches.Select(b => b.Payload).ToList();

    /// <summary>One acknowledgement share per batch gathered.</summary>
    public IReadOnlyList<Acknowledgement> Shares => Batches.Select(b => b.Ack).ToList();

    /// <summary>The sum of the batches' weights, as the operator counts them (items, bytes).</summary>
    public long Weight { get; private set; }

    internal void Add(TelemetryBatch batch, long weight)
    {
        Batches.Add(batch.Retain());
        Weight += weight;
    }

    /// <summary>The export requests merged into one, resources and scopes regrouped.</summary>
    public IMessage Merge() => Signal switch
    {
        Signal.Traces => OtlpBatching.Merge(Payloads.Cast<ExportTraceServiceRequest>()),
        Signal.Logs => OtlpBatching.Merge(Payloads.Cast<ExportLogsServiceRequest>()),
        _ => OtlpBatching.Merge(Payloads.Cast<ExportMetricsServiceRequest>()),
    };
}
