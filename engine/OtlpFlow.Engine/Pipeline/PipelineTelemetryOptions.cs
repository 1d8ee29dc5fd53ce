namespace OtlpFlow.Engine.Pipeline;

/// <summary>
/// The pipeline file's <c>"telemetry"</c> section: where the engine's own metrics (the <c>OtlpFlow</c>
/// meter) go. The engine only reads and checks it; a host exports the metrics as it says.
/// </summary>
public sealed class PipelineTelemetryOptions
{
    /// <summary>Pushes the metrics over OTLP to a collector (or another OtlpFlow pipeline); null (the default) for none.</summary>
    public OtlpTelemetryOptions? Otlp { get; set; }

    /// <summary>Serves the metrics for Prometheus to scrape; null (the default) for none.</summary>
    public PrometheusTelemetryOptions? Prometheus { get; set; }
}
