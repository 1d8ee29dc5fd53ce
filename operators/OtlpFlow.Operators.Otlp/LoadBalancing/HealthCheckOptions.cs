using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Otlp.LoadBalancing;

/// <summary>The <c>healthCheck</c> options of <c>loadbalancing</c>: active checks of every member.</summary>
public sealed class HealthCheckOptions : IValidatableObject
{
    /// <summary>
    /// <c>none</c> (default), <c>grpc</c> (healthy when the peer answers SERVING, or answers
    /// UNIMPLEMENTED: it is up but has no health service) or <c>http</c> (healthy when GET
    /// <see cref="Path"/> answers with a status below 500).
    /// </summary>
    public HealthCheckType Type { get; set; } = HealthCheckType.None;

    /// <summary>The path checked by <c>http</c>, relative to the member's endpoint. Default <c>/</c>.</summary>
    public string Path { get; set; } = "/";

    /// <summary>The service name asked about by <c>grpc</c>. Default empty (the whole server).</summary>
    public string Service { get; set; } = string.Empty;

    /// <summary>Time between two rounds of checks. Default <c>5s</c>.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest one check may take; a slower answer counts as a failure. Default <c>1s</c>.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Failed checks in a row that make a member unhealthy. Default 2.</summary>
    [Range(1, 1000)]
    public int UnhealthyThreshold { get; set; } = 2;

    /// <summary>Passed checks in a row that make an unhealthy member healthy again. Default 1.</summary>
    [Range(1, 1000)]
    public int HealthyThreshold { get; set; } = 1;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Interval <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be more than 0", [nameof(Interval)]);
        }

        if (Timeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be more than 0", [nameof(Timeout)]);
        }

        if (string.IsNullOrEmpty(Path) || Path[0] != '/')
        {
            yield return new ValidationResult($"must start with '/', got '{Path}'", [nameof(Path)]);
        }
    }
}
