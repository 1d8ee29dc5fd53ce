namespace OtlpFlow.Hosting.Reload;

/// <summary>How an instance takes its pipeline from etcd.</summary>
public sealed class EtcdReloadOptions
{
    /// <summary>The key holding the pipeline JSON, under the cluster prefix. Default <c>config</c> (<c>{prefix}/config</c>).</summary>
    public string Key { get; set; } = "config";

    /// <summary>
    /// True (default) to upgrade the cluster one instance at a time: an instance applies a new
    /// config only while it holds the cluster's rollout lock, and releases it once it reports
    /// healthy, so the next one starts only after the previous is healthy. A config that an instance
    /// rejected or that left it unhealthy halts the rollout on the others.
    /// </summary>
    public bool Rolling { get; set; } = true;

    /// <summary>How long a new pipeline must run without faulting to count as healthy. Default <c>10s</c>.</summary>
    public TimeSpan HealthyAfter { get; set; } = TimeSpan.FromSeconds(10);
}
