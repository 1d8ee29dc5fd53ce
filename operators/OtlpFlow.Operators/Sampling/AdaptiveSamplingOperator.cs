using System.Buffers;
using Microsoft.Extensions.DependencyInjection;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// Dynamic-rate sampling that aims at <c>targetPerSecond</c> kept spans, shared fairly between
/// keys (for example service and span name), in the manner of Refinery's EMA throughput sampler.
/// Every <c>adjustmentInterval</c> the span count of each key in the interval is folded into an
/// exponential moving average, and the interval's budget (target × interval) is split by
/// max-min fairness: keys taking less than an equal share of what remains are kept whole (rare keys
/// are never sampled away), and the rest share the remainder equally. Each key's probability then
/// becomes a consistent threshold: a span is kept iff its trace randomness reaches it, and a kept
/// span carries that threshold as <c>th</c>, so counts can be re-weighted downstream.
/// </summary>
/// <remarks>
/// Until the first adjustment every span is kept (probability 1). Thresholds only rise: a span
/// arriving with a higher consistent <c>th</c> keeps it. Rewrites <c>tracestate</c> in place, hence
/// <see cref="MutatesData"/>.
/// </remarks>
[Operator("sampling.adaptive", Options = typeof(AdaptiveSamplingOptions), Description = "Keeps a target number of spans per second, fairly across keys (EMA of per-key counts).",
    Example = """{ "targetPerSecond": 500, "key": ["service", "name"] }""")]
public sealed class AdaptiveSamplingOperator : ProcessorOperator
{
    private const string OverflowKey = "\u0000overflow";
    private const string Reason = "adaptive";
    private static readonly RoutedOutput.Destination[] Destinations = [new(IOperatorOutput.DefaultPort, false), new(Reason, true)];

    private readonly AdaptiveSamplingOptions _options;
    private readonly SpanKeyFields _key;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, KeyState> _keys = new(StringComparer.Ordinal);
    private DateTimeOffset _nextAdjustment;
    private bool _adjusted;
    private IClusterSampling? _cluster;

    /// <summary>Creates the operator.</summary>
    public AdaptiveSamplingOperator(AdaptiveSamplingOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _key = new SpanKeyFields(options.Key);
        _nextAdjustment = context.TimeProvider.GetUtcNow() + options.AdjustmentInterval;
        Counters = new SamplingCounters(context.Id, context.Meter);
    }

    /// <summary>Kept and dropped spans (reason <c>adaptive</c>).</summary>
    public SamplingCounters Counters { get; }

    /// <inheritdoc />
    public override bool MutatesData => true;

    /// <summary>The current keep probability of each key (1 before the first adjustment).</summary>
    public IReadOnlyDictionary<string, double> Probabilities
    {
        get
        {
            lock (_lock)
            {
                return _keys.ToDictionary(k => k.Key, k => ConsistentProbability.Probability(k.Value.Threshold), StringComparer.Ordinal);
            }
        }
    }

    /// <summary>With <c>"scope": "cluster"</c>, finds the cluster's <see cref="IClusterSampling"/>.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Scope == SamplingScope.Cluster)
        {
            _cluster = Context.Services.GetService<IClusterSampling>()
                ?? throw new InvalidOperationException($"operator '{Context.Id}': \"scope\": \"cluster\" needs the coordination layer; add a \"coordination\" section with \"etcd\" to the pipeline, or use \"scope\": \"local\"");
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        if (batch.Traces is not { } request)
        {
            await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var table = SpanTable.From(request);
        var n = table.Count;
        var randomness = ArrayPool<ulong>.Shared.Rent(Math.Max(1, n));
        var thresholds = ArrayPool<ulong>.Shared.Rent(Math.Max(1, n));
        var keep = ArrayPool<byte>.Shared.Rent(Math.Max(1, n));
        var states = ArrayPool<OtelTraceState.Values>.Shared.Rent(Math.Max(1, n));
        try
        {
            lock (_lock)
            {
                var now = Context.TimeProvider.GetUtcNow();
                if (now >= _nextAdjustment)
                {
                    Adjust(now);
                }

                for (var i = 0; i < n; i++)
                {
                    var span = table.Spans[i];
                    var state = KeyFor(_key.KeyOf(table.Resources[i].Resource, table.Scopes[i].Scope, span));
                    state.Count++;
                    var ts = OtelTraceState.Read(span.TraceState);
                    var r = ts.HasRandomness ? ts.Randomness : ConsistentProbability.RandomnessFromTraceId(span.TraceId);
                    var upstream = ts.ThresholdValid && r >= ts.Threshold ? ts.Threshold : 0;
                    states[i] = ts;
                    randomness[i] = r;
                    thresholds[i] = Math.Max(upstream, state.Threshold);
                }
            }

            var kept = ThresholdDecisions.Decide(randomness.AsSpan(0, n), thresholds.AsSpan(0, n), keep.AsSpan(0, n));
            for (var i = 0; i < n; i++)
            {
                // keep 1 → destination 0 (out); keep 0 → destination 1 (drop)
                keep[i] ^= 1;
                if (keep[i] == 0 && !(states[i].ThresholdValid && states[i].Threshold == thresholds[i]))
                {
                    var span = table.Spans[i];
                    span.TraceState = OtelTraceState.WithThreshold(span.TraceState, thresholds[i]);
                }
            }

            Counters.CountKept(kept, Reason);
            await RoutedOutput.SendAsync(batch, request, keep, [kept, n - kept], Destinations, output, Counters, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(randomness);
            ArrayPool<ulong>.Shared.Return(thresholds);
            ArrayPool<byte>.Shared.Return(keep);
            ArrayPool<OtelTraceState.Values>.Shared.Return(states);
        }
    }

    private KeyState KeyFor(string key)
    {
        if (_keys.TryGetValue(key, out var state))
        {
            return state;
        }

        if (_keys.Count >= _options.MaxKeys)
        {
            key = OverflowKey;
            if (_keys.TryGetValue(key, out state))
            {
                return state;
            }
        }

        // A new key has no history: keep it whole until the next adjustment says otherwise.
        state = new KeyState();
        _keys[key] = state;
        return state;
    }

    /// <summary>Folds the interval's counts into the averages and sets each key's threshold.</summary>
    private void Adjust(DateTimeOffset now)
    {
        // Intervals with no traffic at all still count: the averages decay through them.
        var intervals = Math.Max(1, (int)((now - _nextAdjustment) / _options.AdjustmentInterval) + 1);
        _nextAdjustment += _options.AdjustmentInterval * intervals;
        var weight = _options.Weight;
        foreach (var (key, state) in _keys.ToList())
        {
            var average = _adjusted ? (weight * state.Count) + ((1 - weight) * state.Average) : state.Count;
            for (var k = 1; k < intervals; k++)
            {
                average *= 1 - weight;
            }

            state.Average = average;
            state.Count = 0;
            if (average < 1e-3)
            {
                _keys.Remove(key);
            }
        }

        _adjusted = true;

        // Max-min fairness: ascending by volume, each key gets an equal share of what is left.
        var budget = _options.TargetPerSecond * _options.AdjustmentInterval.TotalSeconds;
        var remaining = _keys.Count;
        foreach (var state in _keys.Values.OrderBy(s => s.Average))
        {
            var share = budget / remaining--;
            if (state.Average <= share)
            {
                state.Threshold = ConsistentProbability.AlwaysKeep;
                budget -= state.Average;
            }
            else
            {
                state.Threshold = ConsistentProbability.ThresholdFromProbability(share / state.Average, _options.Precision);
                budget -= share;
            }
        }

        if (_cluster is not null)
        {
            ApplyCluster(_cluster);
        }
    }

    /// <summary>Reports this interval's averages and takes the cluster's probabilities for the keys it covers.</summary>
    private void ApplyCluster(IClusterSampling cluster)
    {
        var seconds = _options.AdjustmentInterval.TotalSeconds;
        cluster.Report(Context.Id, _keys.ToDictionary(k => k.Key, k => k.Value.Average / seconds, StringComparer.Ordinal), _options.TargetPerSecond);
        if (cluster.Probabilities(Context.Id) is not { } published)
        {
            return;
        }

        foreach (var (key, state) in _keys)
        {
            if (published.TryGetValue(key, out var probability))
            {
                state.Threshold = probability >= 1 ? ConsistentProbability.AlwaysKeep : ConsistentProbability.ThresholdFromProbability(Math.Max(probability, 1e-12), _options.Precision);
            }
        }
    }

    private sealed class KeyState
    {
        public long Count { get; set; }

        public double Average { get; set; }

        public ulong Threshold { get; set; } = ConsistentProbability.AlwaysKeep;
    }
}
