using System.ComponentModel.DataAnnotations;
using OtlpFlow.Operators.Resilience;

namespace OtlpFlow.Operators.Coordination.Resilience;

/// <summary>Options of <c>resilience.distributedBreaker</c>.</summary>
public sealed class DistributedBreakerOptions : IValidatableObject
{
    /// <summary>When the breaker opens and for how long, as for the local breaker (<c>failureRatio</c>, <c>minThroughput</c>, <c>breakFor</c>, ...).</summary>
    public CircuitBreakerOptions Breaker { get; set; } = new();

    /// <summary>The shared breaker's name; instances with the same name open together. Default <c>otlpflow:breaker:{operator id}</c>.</summary>
    public string? Name { get; set; }

    /// <summary>While open: <c>drop</c> (default: refuse the batch, counted, to the <c>dropped</c> port) or <c>wait</c> (hold it until a probe is allowed).</summary>
    public BreakerOpenAction OnOpen { get; set; } = BreakerOpenAction.Drop;

    /// <summary>The Redis address (<c>127.0.0.1:6379</c>). Default: the pipeline's <c>coordination.redis</c> connection.</summary>
    public string? Redis { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Breaker is null)
        {
            yield return new ValidationResult("must be an object such as { \"failureRatio\": 0.5, \"breakFor\": \"30s\" }", [nameof(Breaker)]);
        }

        if (Name is { Length: 0 })
        {
            yield return new ValidationResult("must be a name, or be left out", [nameof(Name)]);
        }
    }
}
