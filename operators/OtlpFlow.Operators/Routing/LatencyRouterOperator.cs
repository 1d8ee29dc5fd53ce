using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Routing;

/// <summary>
/// Power of two choices over latency: for each batch, two ports are drawn at random and the one
/// with the lower cost gets it, the cost being the port's latency average (time from sending a
/// batch to its acknowledgement, peak-sensitive) times its batches in flight plus one. Drawing two
/// rather than scanning all keeps a burst from all landing on the one port that looked best.
/// </summary>
[Operator("routing.latency", Options = typeof(LatencyRoutingOptions),
    Description = "Sends each batch to the faster of two random ports (EWMA latency from acknowledgements).",
    Example = """{ "targets": ["a", "b", "c"] }""")]
public sealed class LatencyRouterOperator : PortBalancerOperator
{
    private readonly Lock _lock = new();
    private readonly Random _random;

    /// <summary>Creates the balancer.</summary>
    public LatencyRouterOperator(LatencyRoutingOptions options, OperatorContext context)
        : base((options ?? throw new ArgumentNullException(nameof(options))).Targets, options.Ejection, options.Decay, context)
    {
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
    }

    private protected override int Choose(TelemetryBatch batch, long now)
    {
        var targets = Targets.Targets;
        Span<int> available = targets.Length <= 64 ? stackalloc int[targets.Length] : new int[targets.Length];
        var count = 0;
        for (var t = 0; t < targets.Length; t++)
        {
            if (Targets.IsAvailable(t, now))
            {
                available[count++] = t;
            }
        }

        if (count == 0)
        {
            return 0;
        }

        if (count == 1)
        {
            return available[0];
        }

        int a, b;
        lock (_lock)
        {
            a = _random.Next(count);
            b = _random.Next(count - 1);
        }

        if (b >= a)
        {
            b++;
        }

        var first = available[a];
        var second = available[b];
        return Cost(first, now) <= Cost(second, now) ? first : second;
    }

    private double Cost(int target, long now)
    {
        var state = Targets.Targets[target];
        // The small constant lets batches in flight count before a port has any answer.
        return (state.LatencyMs(now, Targets.Decay, Targets.Time) + 0.001) * (state.InFlight + 1);
    }
}
