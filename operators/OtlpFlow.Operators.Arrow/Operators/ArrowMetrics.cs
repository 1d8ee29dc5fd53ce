using System.Diagnostics.Metrics;
using OtlpFlow.Operators.Arrow.Memory;

namespace OtlpFlow.Operators.Arrow.Operators;

/// <summary>The instruments the Arrow operators share.</summary>
internal static class ArrowMetrics
{
    /// <summary>Publishes a pool's live bytes as <c>otlpflow.arrow.memory.live</c>.</summary>
    public static void ObserveMemory(Meter meter, TrackingMemoryAllocator memory, KeyValuePair<string, object?> tag) =>
        meter.CreateObservableGauge("otlpflow.arrow.memory.live", () => new Measurement<long>(memory.LiveBytes, tag), "By",
            "Bytes of Arrow memory in use (columns being built or read, messages in flight), by operator.");
}
