using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Sampling;

/// <summary>Options of the <c>sampling.traceIdRatio</c> operator.</summary>
public sealed class TraceIdRatioOptions
{
    /// <summary>The probability of keeping a trace, from 0 (keep nothing) to 1 (keep everything). Default 1.</summary>
    [Range(0.0, 1.0)]
    public double Ratio { get; set; } = 1;

    /// <summary>
    /// Significant hex digits of the threshold written as <c>th</c> (more for small ratios, as the
    /// specification's algorithm adds one per leading <c>f</c>): 1% gives <c>fd70a4</c> at 5. Default 5.
    /// </summary>
    [Range(1, 14)]
    public int Precision { get; set; } = 5;
}
