using Google.Protobuf;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Routing;

/// <summary>
/// The output ports a router sends to, with what it learns of each from acknowledgements. A batch
/// sent through <see cref="EmitAsync"/> gets its own acknowledgement, whose settlement (by the
/// sink or exporter at the end of that port's branch) records the target's latency and outcome
/// and then settles the input's share with the same outcome: the client still hears the truth.
/// </summary>
internal sealed class TargetSet
{
    private readonly TimeProvider _time;
    private readonly OutlierEjectionOptions? _ejection;
    private readonly TimeSpan _decay;

    public TargetSet(IReadOnlyList<string> ports, TimeProvider time, OutlierEjectionOptions? ejection, TimeSpan latencyDecay)
    {
        _time = time;
        _ejection = ejection;
        _decay = latencyDecay;
        Targets = ports.Select(p => new TargetState(p)).ToArray();
    }

    public TargetState[] Targets { get; }

    public TimeProvider Time => _time;

    public TimeSpan Decay => _decay;

    /// <summary>
    /// True when <paramref name="target"/> may get data: it is not ejected, or so many targets are
    /// ejected that the limit on ejections puts it back.
    /// </summary>
    public bool IsAvailable(int target, long now)
    {
        if (!Targets[target].IsEjected(now))
        {
            return true;
        }

        var ejected = 0;
        foreach (var t in Targets)
        {
            if (t.IsEjected(now))
            {
                ejected++;
            }
        }

        var limit = _ejection is null ? 0 : Targets.Length * _ejection.MaxEjectedPercent / 100;
        return ejected > limit;
    }

    /// <summary>Sends <paramref name="payload"/> (from <paramref name="source"/>) to a target's port, tracking its acknowledgement.</summary>
    public ValueTask EmitAsync(IOperatorOutput output, int target, TelemetryBatch source, IMessage payload, CancellationToken cancellationToken)
    {
        var state = Targets[target];
        // Outlier ejection learns each target's health from the outcome of what it was sent.
        var started = _time.GetTimestamp();
        var items = BatchSplit.CountItems(payload);
        state.Begin(items);
        var sent = source.Observed(
            result =>
            {
                var now = _time.GetTimestamp();
                state.End(items, now, _time.GetElapsedTime(started, now), !result.Succeeded, _decay, _ejection, _time);
            },
            ReferenceEquals(payload, source.Payload) ? null : payload);
        return output.EmitAsync(state.Name, sent, cancellationToken);
    }
}
