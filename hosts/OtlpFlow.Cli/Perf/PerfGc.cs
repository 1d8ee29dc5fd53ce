namespace OtlpFlow.Cli.Perf;

/// <summary>Garbage collections and allocations over the measured window.</summary>
internal sealed record PerfGc(int Gen0, int Gen1, int Gen2, long AllocatedBytes, double PauseMs);
