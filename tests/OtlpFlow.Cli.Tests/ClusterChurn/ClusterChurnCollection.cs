namespace OtlpFlow.Cli.Tests.ClusterChurn;

/// <summary>
/// The cluster-churn scenario runs alone, after the tests that run in parallel: it measures
/// latencies and reaction times of seven processes on a two-core machine, and a test saturating
/// the CPU next to it (the overload tests do) would be measured instead.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterChurnCollection
{
    public const string Name = "cluster churn, alone";
}
