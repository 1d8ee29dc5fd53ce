namespace OtlpFlow.Worker;

/// <summary>Where the health endpoints listen (configuration section <c>OtlpFlow:Health</c>).</summary>
public sealed class HealthOptions
{
    /// <summary>The configuration section: <c>"OtlpFlow:Health"</c>.</summary>
    public const string SectionName = "OtlpFlow:Health";

    /// <summary>
    /// The <c>host:port</c> serving <c>/healthz</c> and <c>/readyz</c>; default <c>"127.0.0.1:8081"</c>.
    /// Port 0 picks a free port, logged at start. Keep it on loopback unless a probe elsewhere needs it.
    /// </summary>
    public string Address { get; set; } = "127.0.0.1:8081";
}
