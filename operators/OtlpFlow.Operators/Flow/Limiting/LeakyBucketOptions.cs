using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Flow;

/// <summary>Options of <c>flow.leakyBucket</c>.</summary>
public sealed class LeakyBucketOptions : RateLimitOptions
{
    /// <summary>Most units queued (waiting for their turn) at once; 0 (the default) means one second's worth (<c>rate</c>).</summary>
    [Range(0, 1e15)]
    public double Capacity { get; set; }
}
