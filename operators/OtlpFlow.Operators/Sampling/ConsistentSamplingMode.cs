namespace OtlpFlow.Operators.Sampling;

/// <summary>How <c>sampling.consistent</c> treats a span that arrives with an upstream <c>th</c>.</summary>
public enum ConsistentSamplingMode
{
    /// <summary>
    /// Parent-based: a span with a valid, consistent <c>th</c> keeps the upstream decision and its
    /// threshold; only spans without one (or with an erased, inconsistent one) are sampled at <c>ratio</c>.
    /// </summary>
    Parent,

    /// <summary>
    /// Proportional: the upstream probability is multiplied by <c>ratio</c>, so this stage cuts
    /// traffic by the same factor whatever was sampled before it.
    /// </summary>
    Proportional,
}
