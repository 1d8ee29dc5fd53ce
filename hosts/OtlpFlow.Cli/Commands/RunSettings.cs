namespace OtlpFlow.Cli.Commands;

/// <summary>What <c>otlpflow run</c> was asked to do.</summary>
/// <param name="File">The pipeline file; null for the built-in quickstart pipeline.</param>
/// <param name="Duration">Stop after this long; null to run until the sources finish.</param>
/// <param name="DrainTimeout">The drain deadline; null for the file's.</param>
/// <param name="Verbose">Log at Information level.</param>
/// <param name="Dashboard">The loopback <c>host:port</c> to serve the live dashboard on; null for none.</param>
internal sealed record RunSettings(string? File, TimeSpan? Duration = null, TimeSpan? DrainTimeout = null, bool Verbose = false, System.Net.IPEndPoint? Dashboard = null);
