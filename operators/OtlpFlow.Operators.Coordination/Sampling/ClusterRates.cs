namespace OtlpFlow.Operators.Coordination.Sampling;

/// <summary>The leader's computation of per-key keep probabilities from the members' throughput.</summary>
internal static class ClusterRates
{
    /// <summary>
    /// Sums each key's throughput over the members and shares <paramref name="targetPerSecond"/>
    /// between keys by max-min fairness: a key below an equal share of what is left is kept whole
    /// (rare keys are never sampled away), the others share the rest equally. When the cluster is
    /// below the target every key is kept whole.
    /// </summary>
    public static Dictionary<string, double> Compute(IEnumerable<IReadOnlyDictionary<string, double>> members, double targetPerSecond)
    {
        ArgumentNullException.ThrowIfNull(members);
        var totals = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            foreach (var (key, rate) in member)
            {
                totals[key] = totals.GetValueOrDefault(key) + Math.Max(0, rate);
            }
        }

        var probabilities = new Dictionary<string, double>(StringComparer.Ordinal);
        var budget = targetPerSecond;
        var remaining = totals.Count;
        foreach (var (key, rate) in totals.OrderBy(t => t.Value))
        {
            var share = budget / remaining--;
            if (rate <= share)
            {
                probabilities[key] = 1;
                budget -= rate;
            }
            else
            {
                probabilities[key] = share / rate;
                budget -= share;
            }
        }

        return probabilities;
    }
}
