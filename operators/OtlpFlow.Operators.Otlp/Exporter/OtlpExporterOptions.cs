using System.ComponentModel.DataAnnotations;
using OtlpFlow.Operators.Resilience;

namespace OtlpFlow.Operators.Otlp.Exporter;

/// <summary>Options of <see cref="OtlpExporterOperator"/> (<c>otlp.exporter</c>).</summary>
public sealed class OtlpExporterOptions : IValidatableObject
{
    /// <summary>
    /// Where to send: <c>http://host:4317</c> for gRPC; for HTTP the base URL, to which
    /// <c>/v1/traces</c>, <c>/v1/metrics</c> or <c>/v1/logs</c> is appended. Required.
    /// </summary>
    [Required]
    public string Endpoint { get; set; } = string.Empty;

    /// <summary><c>grpc</c>, <c>http/protobuf</c> or <c>http/json</c>. Default <c>grpc</c>.</summary>
    public OtlpProtocol Protocol { get; set; } = OtlpProtocol.Grpc;

    /// <summary><c>none</c>, <c>gzip</c> or <c>zstd</c>. Default <c>gzip</c>.</summary>
    public OtlpCompression Compression { get; set; } = OtlpCompression.Gzip;

    /// <summary>Headers (gRPC metadata) added to every request, such as an API key. Default none.</summary>
    public Dictionary<string, string> Headers { get; set; } = [];

    /// <summary>
    /// The longest one attempt may take: a duration (<c>"10s"</c>), or an object for an adaptive
    /// timeout (<c>{ "adaptive": true, "quantile": 0.99, "floor": "100ms", "ceiling": "30s" }</c>). Default <c>10s</c>.
    /// </summary>
    public TimeoutOptions Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Retrying of retryable failures (backoff, jitter, limits, server hints). Default: exponential from <c>5s</c> to <c>30s</c>, for <c>5m</c>.</summary>
    public RetryOptions Retry { get; set; } = new();

    /// <summary>A circuit breaker in front of the peer: while it is open, attempts fail at once and retries wait for the break to end. Default none.</summary>
    public CircuitBreakerOptions? Breaker { get; set; }

    /// <summary>Limits retries to a share of recent requests plus a floor per second, so that retries never multiply an outage. Default none.</summary>
    public RetryBudgetOptions? RetryBudget { get; set; }

    /// <summary>TLS for an <c>https://</c> endpoint: trusted authorities and a client certificate. Default none.</summary>
    public ExporterTlsOptions? Tls { get; set; }

    /// <summary>The in-memory sending queue.</summary>
    public OtlpQueueOptions Queue { get; set; } = new();

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(Endpoint) &&
            (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            yield return new ValidationResult($"'{Endpoint}' is not an http:// or https:// URL", [nameof(Endpoint)]);
        }

        if (Tls is not null && Uri.TryCreate(Endpoint, UriKind.Absolute, out var tlsUri) && tlsUri.Scheme != Uri.UriSchemeHttps)
        {
            yield return new ValidationResult($"'tls' needs an https:// endpoint, got '{Endpoint}'", [nameof(Tls)]);
        }

        if (Tls is { KeyFile: not null, CertFile: null })
        {
            yield return new ValidationResult("'keyFile' needs 'certFile' too", [nameof(Tls)]);
        }

        if (Timeout.Duration <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be more than 0", [nameof(Timeout)]);
        }
    }
}
