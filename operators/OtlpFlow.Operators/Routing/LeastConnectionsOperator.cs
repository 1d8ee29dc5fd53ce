using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Routing;

/// <summary>
/// Sends each whole batch to the port with the fewest batches in flight (sent and not yet
/// acknowledged), so a slow branch, whose batches settle late, gets less. Ties go round robin.
/// </summary>
[Operator("routing.leastConnections", Options = typeof(LeastConnectionsOptions),
    Description = "Sends each batch to the port with the fewest unacknowledged batches.",
    Example = """{ "targets": ["a", "b"] }""")]
public sealed class LeastConnectionsOperator : PortBalancerOperator
{
    private int _next;

    /// <summary>Creates the balancer.</summary>
    public LeastConnectionsOperator(LeastConnectionsOptions options, OperatorContext context)
        : base((options ?? throw new ArgumentNullException(nameof(options))).Targets, options.Ejection, TimeSpan.FromSeconds(10), context)
    {
    }

    private protected override int Choose(TelemetryBatch batch, long now)
    {
        var targets = Targets.Targets;
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)targets.Length);
        var best = -1;
        for (var k = 0; k < targets.Length; k++)
        {
            var t = (start + k) % targets.Length;
            if (Targets.IsAvailable(t, now) && (best < 0 || targets[t].InFlight < targets[best].InFlight))
            {
                best = t;
            }
        }

        return best < 0 ? start : best;
    }
}
