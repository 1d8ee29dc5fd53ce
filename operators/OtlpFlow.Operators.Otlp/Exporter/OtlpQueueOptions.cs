using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Otlp.Exporter;

/// <summary>The <c>queue</c> options of <c>otlp.exporter</c>: a bounded in-memory sending queue.</summary>
public sealed class OtlpQueueOptions
{
    /// <summary>
    /// Batches the queue holds; when full, the exporter's input waits (backpressure). 0 turns the
    /// queue off: each batch is sent (and retried) within the exporter's own processing. Default 1000.
    /// </summary>
    [Range(0, 1_000_000)]
    public int Size { get; set; } = 1000;

    /// <summary>Batches sent at once from the queue. Default 10.</summary>
    [Range(1, 1000)]
    public int Consumers { get; set; } = 10;
}
