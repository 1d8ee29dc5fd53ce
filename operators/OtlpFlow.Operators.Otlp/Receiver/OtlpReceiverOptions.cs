using System.ComponentModel.DataAnnotations;
using OtlpFlow.Engine.Options;

namespace OtlpFlow.Operators.Otlp.Receiver;

/// <summary>Options of <see cref="OtlpReceiverOperator"/> (<c>otlp.receiver</c>).</summary>
public sealed class OtlpReceiverOptions : IValidatableObject
{
    /// <summary>
    /// Where OTLP/gRPC is served, as <c>host:port</c> (<c>"127.0.0.1:4317"</c>); port 0 picks a free
    /// port. Default none: no gRPC. At least one of <see cref="Grpc"/> and <see cref="Http"/> is required.
    /// </summary>
    public string? Grpc { get; set; }

    /// <summary>
    /// Where OTLP/HTTP (protobuf and JSON) is served, as <c>host:port</c> (<c>"127.0.0.1:4318"</c>);
    /// port 0 picks a free port. Default none: no HTTP.
    /// </summary>
    public string? Http { get; set; }

    /// <summary>
    /// The largest request accepted, after decompression (and before it, for the compressed bytes).
    /// Decompression stops as soon as it is passed. Default <c>64MiB</c>.
    /// </summary>
    public ByteSize MaxRequestSize { get; set; } = ByteSize.FromMiB(64);

    /// <summary>
    /// The most managed memory one request may decode to, as estimated from its protobuf bytes
    /// before it is decoded (for OTLP/JSON, 4 bytes per byte of text plus 64 per value). Wire bytes are not a measure
    /// of memory: a few KB of zstd can decode to millions of objects. Larger requests are refused
    /// (RESOURCE_EXHAUSTED without RetryInfo / 413). Never more than the pipeline's
    /// <c>memoryLimit</c> when one is set. Default <c>256MiB</c>.
    /// </summary>
    public ByteSize MaxDecodedSize { get; set; } = ByteSize.FromMiB(256);

    /// <summary>
    /// The most spans, data points or log records in one request; more is refused
    /// (RESOURCE_EXHAUSTED without RetryInfo / 413). 0: no limit. Default <c>1000000</c>.
    /// </summary>
    public long MaxItemsPerRequest { get; set; } = 1_000_000;

    /// <summary>
    /// The most objects (messages, strings, byte strings; for OTLP/JSON, values) one request may decode to; more is refused
    /// (RESOURCE_EXHAUSTED without RetryInfo / 413). 0: no limit. Default <c>10000000</c>.
    /// </summary>
    public long MaxElementsPerRequest { get; set; } = 10_000_000;

    /// <summary>
    /// How long a request may wait for room in the graph before the client is told to retry
    /// (UNAVAILABLE / 503). Default <c>2s</c>.
    /// </summary>
    public TimeSpan AdmissionTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long the receiver waits for the next bytes of a request it is reading before it answers
    /// UNAVAILABLE / 503 with a retry delay and stops reading. Only the stalled request ends: other
    /// requests on the same HTTP/2 connection go on. The default is the OpenTelemetry SDKs' export
    /// timeout, past which the client has given up anyway. Default <c>10s</c>.
    /// </summary>
    public TimeSpan BodyIdleTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The delay advertised to throttled clients (RetryInfo on gRPC, <c>Retry-After</c> on HTTP).
    /// Default <c>1s</c>.
    /// </summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// <c>accepted</c>: answer once the request is inside the graph; <c>delivered</c>: answer once
    /// every part of it is settled downstream. Default <c>delivered</c>.
    /// </summary>
    public OtlpAckMode Ack { get; set; } = OtlpAckMode.Delivered;

    /// <summary>
    /// How a protobuf request goes on once checked: <c>encoded</c> (its bytes; a first operator
    /// that reads objects decodes them once more) or <c>objects</c> (the decoded request, which
    /// waits on edges as objects). OTLP/JSON requests always go on as objects. Default <c>encoded</c>.
    /// </summary>
    public OtlpForwarding Forward { get; set; } = OtlpForwarding.Encoded;

    /// <summary>
    /// In <c>delivered</c> mode, how long after admission a client waits for its data to be settled
    /// downstream before it is answered UNAVAILABLE / 503 with a retry delay. The data stays in the
    /// pipeline, still counted against the memory budget, and may be delivered later, so a retry
    /// may duplicate it (OTLP is at-least-once). The default is well under the OpenTelemetry SDKs'
    /// 10 s export timeout, so that with <see cref="AdmissionTimeout"/> a client hears an answer it
    /// can act on (retry, with backoff) instead of timing out blind. Default <c>5s</c>.
    /// </summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A request header (HTTP header or gRPC metadata key) whose value becomes the batch's tenant.
    /// Default none.
    /// </summary>
    public string? TenantFrom { get; set; }

    /// <summary>
    /// When set, every request must carry <c>Authorization: Bearer &lt;token&gt;</c> (HTTP header or
    /// gRPC metadata) with this token; others get UNAUTHENTICATED / 401. Default none.
    /// </summary>
    public string? BearerToken { get; set; }

    /// <summary>
    /// TLS on both endpoints (they then serve <c>https</c>), and with <c>clientCaFile</c> mutual TLS.
    /// Default none: plain text, for loopback and trusted networks.
    /// </summary>
    public ReceiverTlsOptions? Tls { get; set; }

    /// <summary>
    /// How long a stopping receiver waits for requests in progress before closing their
    /// connections. Default <c>10s</c>.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Grpc) && string.IsNullOrWhiteSpace(Http))
        {
            yield return new ValidationResult("set 'grpc' or 'http' (or both) to an endpoint such as \"127.0.0.1:4317\"");
        }

        foreach (var (name, value) in new[] { ("grpc", Grpc), ("http", Http) })
        {
            if (!string.IsNullOrWhiteSpace(value) && !ReceiverEndpoint.TryParse(value, out _))
            {
                yield return new ValidationResult($"'{value}' is not an endpoint of the form host:port", [char.ToUpperInvariant(name[0]) + name[1..]]);
            }
        }

        if (Tls is not null && string.IsNullOrWhiteSpace(Tls.CertFile))
        {
            yield return new ValidationResult("'tls' needs 'certFile' (and 'keyFile' unless the key is in the same PEM file)", [nameof(Tls)]);
        }

        if (MaxRequestSize.Bytes <= 0)
        {
            yield return new ValidationResult("must be more than 0 bytes", [nameof(MaxRequestSize)]);
        }

        if (MaxDecodedSize.Bytes <= 0)
        {
            yield return new ValidationResult("must be more than 0 bytes", [nameof(MaxDecodedSize)]);
        }

        if (MaxItemsPerRequest < 0)
        {
            yield return new ValidationResult("must not be negative (0 means no limit)", [nameof(MaxItemsPerRequest)]);
        }

        if (MaxElementsPerRequest < 0)
        {
            yield return new ValidationResult("must not be negative (0 means no limit)", [nameof(MaxElementsPerRequest)]);
        }

        if (AckTimeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be more than 0", [nameof(AckTimeout)]);
        }

        if (AdmissionTimeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be more than 0", [nameof(AdmissionTimeout)]);
        }

        if (BodyIdleTimeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be more than 0", [nameof(BodyIdleTimeout)]);
        }

        if (RetryAfter < TimeSpan.Zero)
        {
            yield return new ValidationResult("must not be negative", [nameof(RetryAfter)]);
        }
    }
}
