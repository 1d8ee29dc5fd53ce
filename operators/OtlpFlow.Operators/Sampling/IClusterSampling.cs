namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// The cluster side of <c>sampling.adaptive</c> with <c>"scope": "cluster"</c>: where an instance
/// reports its per-key throughput, and where it reads the keep probabilities that the cluster's
/// leader computed to meet the cluster-wide target. The coordination layer (etcd) implements it;
/// register it as a service.
/// </summary>
internal interface IClusterSampling
{
    /// <summary>Reports this instance's smoothed throughput per key (spans per second) and the cluster-wide target of operator <paramref name="operatorId"/>.</summary>
    void Report(string operatorId, IReadOnlyDictionary<string, double> spansPerSecond, double targetPerSecond);

    /// <summary>The keep probability per key last published for operator <paramref name="operatorId"/>; null while none is.</summary>
    IReadOnlyDictionary<string, double>? Probabilities(string operatorId);
}
