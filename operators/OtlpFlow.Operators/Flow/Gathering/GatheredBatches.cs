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

    /// <summary>The export requests, in arrival order.</summary>
    public List<IMessage> Payloads { get; } = [];

    /// <summary>One acknowledgement share per batch gathered.</summary>
    public List<Acknowledgement> Shares { get; } = [];

    /// <summary>The sum of the batches' weights, as the operator counts them (items, bytes).</summary>
    public long Weight { get; private set; }

    internal void Add(TelemetryBatch batch, long weight)
    {
        Payloads.Add(batch.Payload);
        Shares.Add(batch.Ack.AddShare());
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
