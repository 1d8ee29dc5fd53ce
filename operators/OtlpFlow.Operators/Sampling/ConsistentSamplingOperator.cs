using OtlpFlow.Engine.Operators;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// Parent-based consistent probability sampling. In <c>parent</c> mode a span that arrives with a
/// valid <c>th</c> consistent with its randomness keeps that upstream decision and threshold, and
/// spans with none are sampled at <c>ratio</c>; in <c>proportional</c> mode the upstream
/// probability is multiplied by <c>ratio</c>. Either way thresholds only rise, and an inconsistent
/// <c>th</c> (randomness below it, or not a valid value) is erased and replaced by this stage's.
/// </summary>
[Operator("sampling.consistent", Options = typeof(ConsistentSamplingOptions), Description = "Parent-based consistent probability sampling that respects an upstream th.",
    Example = """{ "ratio": 0.1, "mode": "parent" }""")]
public sealed class ConsistentSamplingOperator : ConsistentSamplerBase
{
    private const string ParentReason = "parent";
    private readonly ConsistentSamplingOptions _options;
    private readonly ulong _threshold;

    /// <summary>Creates the operator.</summary>
    public ConsistentSamplingOperator(ConsistentSamplingOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _threshold = ConsistentProbability.ThresholdFromProbability(options.Ratio, options.Precision);
    }

    /// <inheritdoc />
    private protected override (ulong Threshold, string Reason) Choose(ulong? upstream)
    {
        if (upstream is not { } t)
        {
            return (_threshold, RatioReason);
        }

        if (_options.Mode == ConsistentSamplingMode.Parent)
        {
            return (t, ParentReason);
        }

        var product = ConsistentProbability.ThresholdFromProbability(_options.Ratio * ConsistentProbability.Probability(t), _options.Precision);
        return (Math.Max(product, t), RatioReason);
    }
}
