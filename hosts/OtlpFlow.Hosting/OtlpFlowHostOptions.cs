namespace OtlpFlow.Hosting;

/// <summary>What <see cref="PipelineHostedService"/> runs.</summary>
public sealed class OtlpFlowHostOptions
{
    /// <summary>The pipeline file to run. Required; no default.</summary>
    public string? PipelinePath { get; set; }

    /// <summary>
    /// How long a host shutdown may drain in-flight data; null (the default) uses the pipeline file's
    /// <c>drainTimeout</c> (30s when the file does not say). Keep it below
    /// <c>HostOptions.ShutdownTimeout</c>, or the host gives up waiting first.
    /// </summary>
    public TimeSpan? DrainTimeout { get; set; }
}
