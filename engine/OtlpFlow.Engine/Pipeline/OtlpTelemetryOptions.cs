using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Engine.Pipeline;

/// <summary>OTLP export of the engine's own metrics (<c>"telemetry": { "otlp": { ... } }</c>).</summary>
public sealed class OtlpTelemetryOptions : IValidatableObject
{
    /// <summary>
    /// Where to send them, such as <c>"http://127.0.0.1:4317"</c> for gRPC or
    /// <c>"http://127.0.0.1:4318/v1/metrics"</c> for HTTP. Required.
    /// </summary>
    [Required]
    public string Endpoint { get; set; } = string.Empty;

    /// <summary>The OTLP transport: <c>"grpc"</c> (the default) or <c>"http/protobuf"</c>.</summary>
    public TelemetryProtocol Protocol { get; set; } = TelemetryProtocol.Grpc;

    /// <summary>How often the metrics are exported; default <c>"10s"</c>.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Headers sent with every export, such as an API key; none by default.</summary>
    public Dictionary<string, string> Headers { get; set; } = [];

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Endpoint.Length > 0 && (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            yield return new ValidationResult($"must be an http:// or https:// URL such as \"http://127.0.0.1:4317\", got \"{Endpoint}\"", [nameof(Endpoint)]);
        }

        if (Interval <= TimeSpan.Zero)
        {
            yield return new ValidationResult($"must be a positive duration such as \"10s\"", [nameof(Interval)]);
        }
    }
}
