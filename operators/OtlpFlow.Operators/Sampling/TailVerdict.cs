namespace OtlpFlow.Operators.Sampling;

/// <summary>What one tail policy says about a trace.</summary>
internal enum TailVerdict
{
    NotSampled,
    Sampled,

    /// <summary>A <c>drop</c> policy matched: the trace is dropped whatever the others say.</summary>
    Dropped,
}
