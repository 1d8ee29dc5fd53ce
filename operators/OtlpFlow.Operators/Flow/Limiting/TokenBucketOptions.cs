using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Flow;

/// <summary>Options of <c>flow.tokenBucket</c>.</summary>
public sealed class TokenBucketOptions : RateLimitOptions
{
    /// <summary>Most units let through at once after a quiet spell; 0 (the default) means one second's worth (<c>rate</c>).</summary>
    [Range(0, 1e15)]
    public double Burst { get; set; }
}
