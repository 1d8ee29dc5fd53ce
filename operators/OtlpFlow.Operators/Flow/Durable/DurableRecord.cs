using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// A batch handed out by <see cref="DurableBatchQueue.DequeueAsync"/>. It stays on disk until it is
/// given back to <see cref="DurableBatchQueue.Complete"/>; its acknowledgement was settled when it
/// was enqueued, so the batch read back holds none.
/// </summary>
internal sealed class DurableRecord
{
    internal DurableRecord(TelemetryBatch batch, DurableBatchQueue.Entry entry)
    {
        Batch = batch;
        Entry = entry;
    }

    /// <summary>The batch as it was enqueued: signal, context and payload.</summary>
    public TelemetryBatch Batch { get; }

    internal DurableBatchQueue.Entry Entry { get; }
}
