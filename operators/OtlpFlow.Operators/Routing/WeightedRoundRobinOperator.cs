using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Routing;

/// <summary>Sends whole batches to its ports in smooth weighted round robin, skipping ejected ports.</summary>
[Operator("routing.weightedRoundRobin", Options = typeof(WeightedRoundRobinOptions),
    Description = "Spreads batches over ports in proportion to weights (smooth weighted round robin).",
    Example = """{ "weights": { "new": 1, "old": 9 } }""")]
public sealed class WeightedRoundRobinOperator : PortBalancerOperator
{
    private readonly SmoothWeightedRoundRobin _schedule;

    /// <summary>Creates the balancer.</summary>
    public WeightedRoundRobinOperator(WeightedRoundRobinOptions options, OperatorContext context)
        : base((options ?? throw new ArgumentNullException(nameof(options))).Weights.Keys, options.Ejection, TimeSpan.FromSeconds(10), context)
    {
        _schedule = new SmoothWeightedRoundRobin([.. options.Weights.Values]);
    }

    private protected override int Choose(TelemetryBatch batch, long now) => _schedule.Next(t => Targets.IsAvailable(t, now));
}
