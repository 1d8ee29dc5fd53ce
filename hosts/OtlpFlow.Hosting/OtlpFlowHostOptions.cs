namespace OtlpFlow.Hosting;

/// <summary>What <see cref="PipelineHostedService"/> runs.</summary>
public sealed class OtlpFlowHostOptions
{
    /// <summary>The configuration section read by <c>AddOtlpFlowPipeline(configuration)</c>: <c>"OtlpFlow"</c>.</summary>
    public const string SectionName = "OtlpFlow";

    /// <summary>The pipeline file to run. Required; no default.</summary>
    public string? PipelinePath { get; set; }

    /// <summary>
    /// How long a host shutdown may drain in-flight data; null (the default) uses the pipeline file's
    /// <c>drainTimeout</c> (30s when the file does not say). Either way the drain is cut to fit in the
    /// host's <c>HostOptions.ShutdownTimeout</c>, less a small margin to report the result.
    /// </summary>
    public TimeSpan? DrainTimeout { get; set; }
}
