namespace OtlpFlow.Cli.Perf;

/// <summary>One expectation of a perf graph and whether the run met it.</summary>
/// <param name="Name">The expectation's key, such as <c>minItemsPerSecond</c>.</param>
/// <param name="Expected">The limit.</param>
/// <param name="Actual">What the run measured.</param>
/// <param name="Met">True when the run is within the limit.</param>
internal sealed record PerfExpectationResult(string Name, double Expected, double Actual, bool Met);
