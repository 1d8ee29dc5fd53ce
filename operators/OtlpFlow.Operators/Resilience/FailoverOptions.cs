using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Resilience;

/// <summary>Options of <c>resilience.failover</c>.</summary>
public sealed class FailoverOptions : IValidatableObject
{
    /// <summary>
    /// The targets in order of preference, each an output port that an exporter reads
    /// (<c>"inputs": ["fo.primary"]</c>). Default <c>["primary", "secondary"]</c>.
    /// </summary>
    public List<string> Targets { get; set; } = ["primary", "secondary"];

    /// <summary>
    /// The breaker each target gets, fed by the acknowledgements of the batches sent to it. Default:
    /// 3 consecutive failures or half of at least 20 calls in 30 s open it for 10 s; one probe.
    /// </summary>
    public CircuitBreakerOptions Breaker { get; set; } = new() { ConsecutiveFailures = 3, BreakFor = TimeSpan.FromSeconds(10) };

    /// <summary>
    /// The wait when no target will take a batch (every breaker open, or the only one left just
    /// failed it), and when to give up on it. Default: exponential from <c>1s</c> to <c>30s</c>,
    /// never giving up (<c>maxElapsed: 0</c>): a batch stays until delivered or the pipeline stops.
    /// </summary>
    public RetryOptions Retry { get; set; } = new() { Initial = TimeSpan.FromSeconds(1), MaxElapsed = TimeSpan.Zero };

    /// <summary>Batches sent and not yet acknowledged; past it the operator stops taking input (backpressure). Default 1000.</summary>
    [Range(1, 1_000_000)]
    public int MaxInFlight { get; set; } = 1000;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Targets.Count == 0)
        {
            yield return new ValidationResult("must name at least one output port, such as [\"primary\", \"secondary\"]", [nameof(Targets)]);
        }

        foreach (var target in Targets)
        {
            if (string.IsNullOrWhiteSpace(target) || target == Engine.Operators.IOperatorOutput.DroppedPort || target.Contains('.', StringComparison.Ordinal))
            {
                yield return new ValidationResult($"'{target}' is not a usable port name (not empty, not \"dropped\", no '.')", [nameof(Targets)]);
            }
        }

        if (Targets.Distinct(StringComparer.Ordinal).Count() != Targets.Count)
        {
            yield return new ValidationResult("names a port twice", [nameof(Targets)]);
        }
    }
}
