using System.Diagnostics.Metrics;

namespace OtlpFlow.Engine.Pipeline;

/// <summary>
/// The engine's own instruments on the <c>OtlpFlow</c> meter. Counters are observed from
/// <see cref="OperatorCounters"/> on collection, so the data path pays nothing for them; only the
/// processing-time histogram is recorded per batch.
/// </summary>
internal sealed class EngineMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "OtlpFlow";

    private readonly Histogram<double> _processing;
    private readonly KeyValuePair<string, object?> _pipelineTag;

    public EngineMetrics(RunningPipeline pipeline)
    {
        Meter = new Meter(MeterName);
        _pipelineTag = new("pipeline", pipeline.Name);
        var tag = _pipelineTag;

        IEnumerable<Measurement<long>> PerOperator(Func<OperatorCounters, long> read) =>
            pipeline.Nodes.Select(n => new Measurement<long>(read(n.Counters), tag, new("operator", n.Id)));

        Meter.CreateObservableCounter("otlpflow.operator.items.in", () => PerOperator(c => c.ItemsIn), "{item}", "Items received by an operator.");
        Meter.CreateObservableCounter("otlpflow.operator.items.out", () => PerOperator(c => c.ItemsOut), "{item}", "Items sent on (for a sink: delivered).");
        Meter.CreateObservableCounter("otlpflow.operator.batches.in", () => PerOperator(c => c.BatchesIn), "{batch}", "Batches received by an operator.");
        Meter.CreateObservableCounter("otlpflow.operator.batches.out", () => PerOperator(c => c.BatchesOut), "{batch}", "Batches sent on.");
        Meter.CreateObservableCounter("otlpflow.operator.errors", () => PerOperator(c => c.Errors), "{batch}", "Batches whose processing failed.");
        Meter.CreateObservableCounter(
            "otlpflow.operator.items.dropped",
            () => pipeline.Nodes.SelectMany(n => n.Counters.DroppedByReason.Select(d =>
                new Measurement<long>(d.Value, tag, new("operator", n.Id), new("reason", d.Key)))),
            "{item}",
            "Items dropped by an operator, by reason.");
        Meter.CreateObservableGauge(
            "otlpflow.operator.queue.depth",
            () => pipeline.Nodes.Select(n => new Measurement<int>(n.QueueDepth(), tag, new("operator", n.Id))),
            "{batch}",
            "Batches waiting at an operator's input.");
        Meter.CreateObservableGauge(
            "otlpflow.pipeline.inflight.bytes",
            () => new Measurement<long>(pipeline.Memory.InFlightBytes, tag),
            "By",
            "Bytes of data in flight in the pipeline.");
        Meter.CreateObservableGauge(
            "otlpflow.pipeline.memory.heap",
            () => new Measurement<long>(pipeline.Memory.LastReading.HeapBytes, tag),
            "By",
            "The managed heap at the memory guard's latest reading (0 without memoryLimit).");
        Meter.CreateObservableGauge(
            "otlpflow.pipeline.memory.working_set",
            () => new Measurement<long>(pipeline.Memory.LastReading.WorkingSetBytes, tag),
            "By",
            "The process's working set at the memory guard's latest reading (0 without memoryLimit).");
        Meter.CreateObservableGauge(
            "otlpflow.pipeline.memory.refusing",
            () => new Measurement<int>(pipeline.Memory.IsRefusing ? 1 : 0, tag),
            description: "1 while the memory guard refuses new data because the heap is past its soft limit.");
        Meter.CreateObservableCounter(
            "otlpflow.pipeline.memory.refusals",
            () => new Measurement<long>(pipeline.Memory.RefusedReservations, tag),
            "{reservation}",
            "Reservations refused by the memory budget or its guard.");
        Meter.CreateObservableCounter(
            "otlpflow.pipeline.memory.forced_collections",
            () => new Measurement<long>(pipeline.Memory.ForcedCollections, tag),
            "{collection}",
            "Full garbage collections forced by the memory guard.");
        _processing = Meter.CreateHistogram<double>("otlpflow.operator.process.duration", "s", "Time an operator spent on one batch.");
    }

    public Meter Meter { get; }

    public void RecordProcessing(string operatorId, TimeSpan elapsed) =>
        _processing.Record(elapsed.TotalSeconds, _pipelineTag, new KeyValuePair<string, object?>("operator", operatorId));

    public void Dispose() => Meter.Dispose();
}
