namespace OtlpFlow.Cli.Perf;

/// <summary>Latency percentiles in milliseconds.</summary>
internal sealed record PerfLatency(double P50, double P90, double P99, double P999, double Max, long Samples);
