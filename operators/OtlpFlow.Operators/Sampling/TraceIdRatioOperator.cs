using OtlpFlow.Engine.Operators;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// Keeps a fixed share of traces, consistently with OpenTelemetry probability sampling: a span is
/// kept iff its randomness R (from <c>rv</c> or the trace id) is at least T = (1 − ratio)·2^56, so
/// every span of a trace gets the same decision here and in any other consistent sampler. Acts as
/// the specification's equalizing downstream sampler: a kept span carries the larger of its
/// upstream threshold and T as <c>th</c> (thresholds only rise); an upstream <c>th</c> that its
/// randomness contradicts is erased.
/// </summary>
[Operator("sampling.traceIdRatio", Options = typeof(TraceIdRatioOptions), Description = "Keeps a ratio of traces by trace-id randomness (OpenTelemetry consistent probability sampling).",
    Example = """{ "ratio": 0.25 }""")]
public sealed class TraceIdRatioOperator : ConsistentSamplerBase
{
    private readonly ulong _threshold;

    /// <summary>Creates the operator.</summary>
    public TraceIdRatioOperator(TraceIdRatioOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _threshold = ConsistentProbability.ThresholdFromProbability(options.Ratio, options.Precision);
    }

    /// <summary>The threshold this stage applies.</summary>
    public ulong Threshold => _threshold;

    /// <inheritdoc />
    private protected override (ulong Threshold, string Reason) Choose(ulong? upstream) =>
        (Math.Max(upstream ?? 0, _threshold), RatioReason);
}
