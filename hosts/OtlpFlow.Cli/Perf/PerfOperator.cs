namespace OtlpFlow.Cli.Perf;

/// <summary>One operator over the measured window; the peak held items and bytes for an operator that holds data.</summary>
internal sealed record PerfOperator(
    string Id,
    string Type,
    string Kind,
    double ItemsInPerSecond,
    double ItemsOutPerSecond,
    long Dropped,
    double QueueFillAverage,
    double QueueFillPeak,
    double? LatencyMs,
    long? PeakHeldItems = null,
    long? PeakHeldBytes = null);
