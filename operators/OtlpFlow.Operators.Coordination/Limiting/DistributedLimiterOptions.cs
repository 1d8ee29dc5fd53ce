using System.ComponentModel.DataAnnotations;
using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Operators.Coordination.Limiting;

/// <summary>Options of <c>flow.distributedLimiter</c>.</summary>
public sealed class DistributedLimiterOptions : IValidatableObject
{
    /// <summary>Units per second for the whole cluster (every instance with the same <see cref="Key"/> together). Default 1000.</summary>
    [Range(1e-6, 1e12)]
    public double Rate { get; set; } = 1000;

    /// <summary>Most units admitted at once after a quiet spell; 0 (default) means one second's worth (<see cref="Rate"/>).</summary>
    [Range(0, 1e12)]
    public double Burst { get; set; }

    /// <summary>What is counted: <c>items</c> (default), <c>bytes</c> or <c>batches</c>.</summary>
    public RateLimitUnit Unit { get; set; } = RateLimitUnit.Items;

    /// <summary>Over the limit: <c>wait</c> (default, backpressure, nothing lost) or <c>drop</c> (to the <c>dropped</c> port).</summary>
    public RateLimitAction OnLimit { get; set; } = RateLimitAction.Wait;

    /// <summary>The Redis key of the shared limit; instances with the same key share one limit. Default <c>otlpflow:limit:{operator id}</c>.</summary>
    public string? Key { get; set; }

    /// <summary>
    /// Units per second this instance admits on its own while Redis is unreachable. Default 0: the
    /// cluster rate divided by <see cref="ExpectedInstances"/>.
    /// </summary>
    [Range(0, 1e12)]
    public double LocalRate { get; set; }

    /// <summary>How many instances share the limit, for the default <see cref="LocalRate"/>. Default 1.</summary>
    [Range(1, 100_000)]
    public int ExpectedInstances { get; set; } = 1;

    /// <summary>
    /// The Redis address (<c>127.0.0.1:6379</c>). Default: the pipeline's <c>coordination.redis</c>
    /// connection, which the host provides.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>The longest a Redis call may take before the local limit decides. Default <c>250ms</c>.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (OnLimit == RateLimitAction.Split)
        {
            yield return new ValidationResult("must be \"wait\" or \"drop\" (a shared limit does not split batches)", [nameof(OnLimit)]);
        }

        if (Timeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be a positive duration such as \"250ms\"", [nameof(Timeout)]);
        }

        if (Key is { Length: 0 })
        {
            yield return new ValidationResult("must be a Redis key name, or be left out", [nameof(Key)]);
        }
    }
}
