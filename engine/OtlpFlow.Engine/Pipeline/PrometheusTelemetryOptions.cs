using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace OtlpFlow.Engine.Pipeline;

/// <summary>A Prometheus scrape endpoint for the engine's own metrics (<c>"telemetry": { "prometheus": { ... } }</c>).</summary>
public sealed class PrometheusTelemetryOptions : IValidatableObject
{
    /// <summary>
    /// The <c>host:port</c> to listen on, such as <c>"127.0.0.1:9464"</c>; port 0 picks a free port
    /// (the host logs the one it got). Required.
    /// </summary>
    [Required]
    public string Address { get; set; } = string.Empty;

    /// <summary>The path of the scrape endpoint; default <c>"/metrics"</c>.</summary>
    public string Path { get; set; } = "/metrics";

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var colon = Address.LastIndexOf(':');
        if (Address.Length > 0 && (colon <= 0 || !int.TryParse(Address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535))
        {
            yield return new ValidationResult($"must be host:port such as \"127.0.0.1:9464\", got \"{Address}\"", [nameof(Address)]);
        }

        if (!Path.StartsWith('/'))
        {
            yield return new ValidationResult($"must start with '/', got \"{Path}\"", [nameof(Path)]);
        }
    }
}
