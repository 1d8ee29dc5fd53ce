using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Sampling;

/// <summary>Options of the <c>sampling.consistent</c> operator.</summary>
public sealed class ConsistentSamplingOptions
{
    /// <summary>The probability of keeping a trace that has no upstream threshold (<c>parent</c>), or the factor applied to the upstream probability (<c>proportional</c>). Default 1.</summary>
    [Range(0.0, 1.0)]
    public double Ratio { get; set; } = 1;

    /// <summary>Significant hex digits of thresholds this stage writes. Default 5.</summary>
    [Range(1, 14)]
    public int Precision { get; set; } = 5;

    /// <summary><c>parent</c> (default) or <c>proportional</c>; see <see cref="ConsistentSamplingMode"/>.</summary>
    public ConsistentSamplingMode Mode { get; set; } = ConsistentSamplingMode.Parent;
}
