namespace OtlpFlow.Operators.Sampling;

/// <summary>Where <c>sampling.adaptive</c> takes its per-key probabilities from.</summary>
public enum SamplingScope
{
    /// <summary>From this instance's own counts: the target holds per instance.</summary>
    Local,

    /// <summary>
    /// From the cluster: instances report their per-key throughput and apply the probabilities the
    /// leader computed for the cluster-wide target (an <see cref="IClusterSampling"/> service); keys
    /// the leader has not covered yet, or all keys while no probabilities are published, use the local ones.
    /// </summary>
    Cluster,
}
