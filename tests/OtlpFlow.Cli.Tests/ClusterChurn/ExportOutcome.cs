namespace OtlpFlow.Cli.Tests.ClusterChurn;

/// <summary>How one export request ended.</summary>
/// <param name="Acknowledged">The server finally answered it with success.</param>
/// <param name="Latency">From its first attempt to its success (or to giving up).</param>
/// <param name="Attempts">Attempts made.</param>
/// <param name="Timeouts">Attempts that ended with DEADLINE_EXCEEDED.</param>
/// <param name="Error">The last failure (or a partial success's message); null for a clean success.</param>
internal sealed record ExportOutcome(bool Acknowledged, TimeSpan Latency, int Attempts, int Timeouts, string? Error);
