namespace OtlpFlow.Operators.Routing;

/// <summary>
/// Smooth weighted round robin: over every cycle of <c>sum(weights)</c> picks, target i is picked
/// exactly <c>weights[i]</c> times, and the picks of a heavy target are spread through the cycle
/// rather than bunched (weights 5, 1, 1 give a a b a c a a, not a a a a a b c). Each pick adds
/// every target's weight to its running score, takes the highest, and subtracts the total from it.
/// Thread-safe.
/// </summary>
internal sealed class SmoothWeightedRoundRobin
{
    private readonly Lock _lock = new();
    private readonly int[] _weights;
    private readonly long[] _current;

    /// <summary>Creates the schedule; every weight must be at least 1.</summary>
    public SmoothWeightedRoundRobin(IReadOnlyList<int> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count == 0 || weights.Any(w => w < 1))
        {
            throw new ArgumentException("At least one weight is needed, and every weight must be 1 or more.", nameof(weights));
        }

        _weights = [.. weights];
        _current = new long[_weights.Length];
    }

    /// <summary>
    /// The next target. Targets that <paramref name="available"/> refuses are left out of this pick
    /// (the others share their turns); when it refuses all, all take part.
    /// </summary>
    public int Next(Func<int, bool>? available = null)
    {
        lock (_lock)
        {
            var best = Pick(available);
            return best >= 0 ? best : Pick(null);
        }
    }

    private int Pick(Func<int, bool>? available)
    {
        long total = 0;
        var best = -1;
        for (var i = 0; i < _weights.Length; i++)
        {
            if (available is not null && !available(i))
            {
                continue;
            }

            _current[i] += _weights[i];
            total += _weights[i];
            if (best < 0 || _current[i] > _current[best])
            {
                best = i;
            }
        }

        if (best >= 0)
        {
            _current[best] -= total;
        }

        return best;
    }
}
