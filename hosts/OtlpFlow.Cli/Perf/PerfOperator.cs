namespace OtlpFlow.Cli.Perf;

/// <summary>One operator over the measured window.</summary>
internal sealed record PerfOperator(
    string Id,
    string Type,
    string Kind,
    double ItemsInPerSecond,
    double ItemsOutPerSecond,
    long Dropped,
    double QueueFillAverage,
    double QueueFillPeak,
    double? LatencyMs);
