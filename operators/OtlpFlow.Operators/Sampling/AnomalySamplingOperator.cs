using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// Keeps the unusual: learns, per operation, an exponentially weighted mean and variance of
/// log-latency and an exponentially weighted error rate, online and span by span, and keeps spans
/// that stand out (latency z-score at least <c>zThreshold</c>, or an error where errors are rare)
/// within a budget of <c>maxPerSecond</c>, plus a seeded baseline share of ordinary spans. The
/// model is in the README.
/// </summary>
/// <remarks>
/// Each span is judged against the model as it was before the span, then the model learns it.
/// Decisions depend only on the input, the clock and the seed. Kept spans have unknown sampling
/// probability, so a <c>th</c> they carry is erased (the specification's rule for
/// non-probabilistic stages); that rewrites <c>tracestate</c> in place, hence <see cref="MutatesData"/>.
/// </remarks>
[Operator("sampling.anomaly", Options = typeof(AnomalySamplingOptions), Description = "Keeps latency and error outliers per operation (online EWMA model) within a budget per second.",
    Example = """{ "zThreshold": 3, "maxPerSecond": 50 }""")]
public sealed class AnomalySamplingOperator : ProcessorOperator
{
    private const string OverflowKey = "\u0000overflow";
    private static readonly RoutedOutput.Destination[] Destinations =
    [
        new(IOperatorOutput.DefaultPort, false),
        new("normal", true),
        new("budget", true),
    ];

    private readonly AnomalySamplingOptions _options;
    private readonly SpanKeyFields _key;
    private readonly Random _random;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, OperationModel> _models = new(StringComparer.Ordinal);
    private long _second = long.MinValue;
    private double _spentThisSecond;

    /// <summary>Creates the operator.</summary>
    public AnomalySamplingOperator(AnomalySamplingOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _key = new SpanKeyFields(options.Key);
        _random = new Random(options.Seed);
        Counters = new SamplingCounters(context.Id, context.Meter);
    }

    /// <summary>Kept spans by reason (<c>latency</c>, <c>error</c>, <c>baseline</c>) and dropped ones (<c>normal</c>, <c>budget</c>).</summary>
    public SamplingCounters Counters { get; }

    /// <inheritdoc />
    public override bool MutatesData => true;

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
        var decisions = new byte[Math.Max(1, table.Count)];
        var counts = new long[Destinations.Length];
        lock (_lock)
        {
            var now = Context.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
            if (now != _second)
            {
                _second = now;
                _spentThisSecond = 0;
            }

            for (var i = 0; i < table.Count; i++)
            {
                var span = table.Spans[i];
                var reason = Judge(Model(_key.KeyOf(table.Resources[i].Resource, table.Scopes[i].Scope, span)), span);
                byte destination = reason switch
                {
                    null => 1,
                    "latency" or "error" when _spentThisSecond + 1 > _options.MaxPerSecond => 2,
                    _ => 0,
                };
                if (destination == 0)
                {
                    if (reason is "latency" or "error")
                    {
                        _spentThisSecond++;
                    }

                    Counters.CountKept(1, reason!);
                    if (span.TraceState.Contains("th:", StringComparison.Ordinal))
                    {
                        span.TraceState = OtelTraceState.WithThreshold(span.TraceState, null);
                    }
                }

                decisions[i] = destination;
                counts[destination]++;
            }
        }

        await RoutedOutput.SendAsync(batch, request, decisions, counts, Destinations, output, Counters, cancellationToken).ConfigureAwait(false);
    }

    private OperationModel Model(string key)
    {
        if (!_models.TryGetValue(key, out var model))
        {
            if (_models.Count >= _options.MaxKeys)
            {
                key = OverflowKey;
                if (_models.TryGetValue(key, out model))
                {
                    return model;
                }
            }

            model = new OperationModel();
            _models[key] = model;
        }

        return model;
    }

    /// <summary>The reason to keep the span (<c>latency</c>, <c>error</c>, <c>baseline</c>), or null; then the model learns it.</summary>
    private string? Judge(OperationModel model, Span span)
    {
        var durationNanos = span.EndTimeUnixNano > span.StartTimeUnixNano ? span.EndTimeUnixNano - span.StartTimeUnixNano : 1;
        var x = Math.Log(durationNanos);
        var isError = span.Status?.Code == Status.Types.StatusCode.Error;

        string? reason = null;
        if (model.Samples >= _options.MinSamples)
        {
            var z = (x - model.Mean) / Math.Sqrt(model.Variance + 1e-9);
            if (isError && model.ErrorRate < _options.ErrorRateThreshold)
            {
                reason = "error";
            }
            else if (z >= _options.ZThreshold)
            {
                reason = "latency";
            }
        }

        // The baseline draw happens for every span, so the random sequence does not depend on the
        // model's verdicts: the same seed gives the same baseline whatever the thresholds.
        var baseline = _random.NextDouble() < _options.BaselineRatio;
        reason ??= baseline ? "baseline" : null;

        model.Learn(x, isError, _options.Alpha);
        return reason;
    }

    /// <summary>Exponentially weighted mean and variance of log-latency, and error rate, of one operation.</summary>
    private sealed class OperationModel
    {
        public long Samples { get; private set; }

        public double Mean { get; private set; }

        public double Variance { get; private set; }

        public double ErrorRate { get; private set; }

        public void Learn(double x, bool isError, double alpha)
        {
            if (Samples == 0)
            {
                Mean = x;
                Variance = 0;
                ErrorRate = isError ? 1 : 0;
            }
            else
            {
                // Incremental exponentially weighted variance (West, 1979; Finch, 2009).
                var delta = x - Mean;
                Mean += alpha * delta;
                Variance = (1 - alpha) * (Variance + (alpha * delta * delta));
                ErrorRate += alpha * ((isError ? 1 : 0) - ErrorRate);
            }

            Samples++;
        }
    }
}
