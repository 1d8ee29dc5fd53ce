using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Flow;

/// <summary>What every rate-limiting operator (<c>flow.tokenBucket</c>, <c>flow.leakyBucket</c>, <c>flow.slidingWindow</c>) is configured with.</summary>
public abstract class RateLimitOptions : IValidatableObject
{
    /// <summary>What is counted: <c>items</c> (default), <c>bytes</c> or <c>batches</c>.</summary>
    public RateLimitUnit Unit { get; set; } = RateLimitUnit.Items;

    /// <summary>Permitted units per second. Default 1000.</summary>
    [Range(1e-6, 1e15)]
    public double Rate { get; set; } = 1000;

    /// <summary>
    /// Partitions the limit: each key has its own. <c>tenant</c>, <c>service</c>, <c>metadata.NAME</c>,
    /// <c>resource.NAME</c>, <c>traceId</c> or <c>attributes.NAME</c>. Default none (one shared limit).
    /// </summary>
    public string? Key { get; set; }

    /// <summary>Most live partitions; past it, idle ones are evicted and new keys share one overflow limit. Default 10000.</summary>
    [Range(1, 10_000_000)]
    public int MaxPartitions { get; set; } = 10_000;

    /// <summary>A partition unused this long is evicted (make it longer than a refill). Default <c>"5m"</c>.</summary>
    public TimeSpan PartitionIdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>What to do over the limit: <c>wait</c> (default, backpressure), <c>drop</c> or <c>split</c>.</summary>
    public RateLimitAction OnLimit { get; set; } = RateLimitAction.Wait;

    /// <summary>With <c>onLimit: split</c>, what happens to the part that does not fit: <c>drop</c> (default) or <c>wait</c>.</summary>
    public SplitRemainder SplitRemainder { get; set; } = SplitRemainder.Drop;

    /// <inheritdoc />
    public virtual IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Key is not null)
        {
            string? error = null;
            try
            {
                FlowKey.Parse(Key);
            }
            catch (ArgumentException ex)
            {
                error = ex.Message.Split(" (Parameter", 2)[0];
            }

            if (error is not null)
            {
                yield return new ValidationResult(error, [nameof(Key)]);
            }
        }

        if (PartitionIdleTimeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be a positive duration such as \"5m\"", [nameof(PartitionIdleTimeout)]);
        }
    }
}
