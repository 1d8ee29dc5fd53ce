using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Routing;

/// <summary>
/// The base of the balancers over output ports: each batch goes whole to one port chosen by the
/// balancer, and the batch's acknowledgement, settled at the end of that port's branch, tells
/// the balancer how many batches each port has in flight, how long they took and whether they
/// failed (a port that keeps failing is ejected for a while).
/// </summary>
public abstract class PortBalancerOperator : ProcessorOperator
{
    private readonly string[] _ports;

    private protected PortBalancerOperator(IEnumerable<string> ports, OutlierEjectionOptions? ejection, TimeSpan latencyDecay, OperatorContext context)
        : base(context)
    {
        ArgumentNullException.ThrowIfNull(ports);
        _ports = [.. ports];
        Targets = new TargetSet(_ports, context.TimeProvider, ejection, latencyDecay);
    }

    /// <summary>The targets, each an output port.</summary>
    public override IReadOnlyList<string> OutputPorts => _ports;

    /// <summary>Batches sent to each port so far.</summary>
    public IReadOnlyDictionary<string, long> BatchesSent => Targets.Targets.ToDictionary(t => t.Name, t => t.Sent, StringComparer.Ordinal);

    /// <summary>Batches sent to each port and not yet settled.</summary>
    public IReadOnlyDictionary<string, int> InFlight => Targets.Targets.ToDictionary(t => t.Name, t => t.InFlight, StringComparer.Ordinal);

    private protected TargetSet Targets { get; }

    /// <inheritdoc />
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        var now = Context.TimeProvider.GetTimestamp();
        var target = Choose(batch, now);
        return Targets.EmitAsync(output, target, batch, batch.Payload, cancellationToken);
    }

    /// <summary>The index of the port for <paramref name="batch"/>.</summary>
    private protected abstract int Choose(TelemetryBatch batch, long now);
}
