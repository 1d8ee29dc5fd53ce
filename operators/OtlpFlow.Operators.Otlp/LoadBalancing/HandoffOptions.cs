using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Otlp.LoadBalancing;

/// <summary>Options of <c>loadbalancing.handoff</c>.</summary>
public sealed class HandoffOptions : IValidatableObject
{
    /// <summary>
    /// The name of the keyed membership source this instance is a member of, which must know which
    /// member this instance is (the coordination section's <c>"etcd"</c>, the default).
    /// </summary>
    public string Membership { get; set; } = "etcd";

    /// <summary>
    /// How long a membership change is honoured, and how long a trace is remembered after its last
    /// span: at least the longest time between a trace's first and last span reaching the tier, and
    /// no more than the tail sampler's <c>decisionWait</c> needs. A member that leaves gracefully
    /// also keeps taking handed-over spans for twice this long before it drains. Default <c>5s</c>.
    /// </summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Traces remembered at once (those that moved, while they last); past it the oldest are forgotten. Default 200000.</summary>
    [Range(1, 100_000_000)]
    public int MaxTraces { get; set; } = 200_000;

    /// <summary>
    /// Handed-over requests in flight at once. A member that answers once data is delivered answers
    /// after its tail sampler's decision, so this is sized for seconds of traffic. Default 512.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxInFlight { get; set; } = 512;

    /// <summary>The longest one handed-over request may take before its spans are kept here instead (they may then be written twice). Default <c>60s</c>: more than the tail sampler's <c>decisionWait</c>, which the member answering may wait for.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Membership))
        {
            yield return new ValidationResult("must name a membership source such as \"etcd\"", [nameof(Membership)]);
        }

        if (Window <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be more than 0", [nameof(Window)]);
        }

        if (Timeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be more than 0", [nameof(Timeout)]);
        }
    }
}
