using OtlpFlow.Operators.Coordination.Sampling;

namespace OtlpFlow.Operators.Coordination.Tests.Sampling;

public sealed class ClusterRatesTests
{
    [Fact]
    public void Throughput_is_summed_over_members_and_the_target_shared_fairly_with_rare_keys_kept_whole()
    {
        var member = new Dictionary<string, double> { ["busy"] = 100, ["rare"] = 10 };

        var probabilities = ClusterRates.Compute([member, member, member], targetPerSecond: 60);

        Assert.Equal(1.0, probabilities["rare"]);
        Assert.Equal(0.1, probabilities["busy"], 9);

        // What the cluster keeps is the target: 30 rare + 300 × 0.1 busy.
        Assert.Equal(60, (30 * probabilities["rare"]) + (300 * probabilities["busy"]), 9);
    }

    [Fact]
    public void Below_the_target_every_key_is_kept_whole()
    {
        var probabilities = ClusterRates.Compute([new Dictionary<string, double> { ["a"] = 5, ["b"] = 7 }], targetPerSecond: 100);

        Assert.All(probabilities.Values, p => Assert.Equal(1.0, p));
    }
}
