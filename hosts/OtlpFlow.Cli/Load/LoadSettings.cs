namespace OtlpFlow.Cli.Load;

/// <summary>What <c>otlpflow load</c> was asked to do.</summary>
/// <param name="Endpoint">The receiver: <c>host:port</c> or an http:// URL.</param>
/// <param name="Protocol"><c>grpc</c>, <c>http</c> (protobuf) or <c>http/json</c>.</param>
/// <param name="Rate">Items per second; 0 sends as fast as the receiver answers.</param>
/// <param name="Duration">How long to send.</param>
/// <param name="Signal"><c>traces</c>, <c>metrics</c> or <c>logs</c>.</param>
/// <param name="BatchSize">Items per request.</param>
/// <param name="Concurrency">Requests in flight at once.</param>
/// <param name="Compression"><c>none</c>, <c>gzip</c> or <c>zstd</c>.</param>
internal sealed record LoadSettings(
    string Endpoint,
    string Protocol = "grpc",
    double Rate = 10_000,
    TimeSpan? Duration = null,
    string Signal = "traces",
    int BatchSize = 512,
    int Concurrency = 4,
    string Compression = "none");
