using System.ComponentModel.DataAnnotations;
using OtlpFlow.Engine.Options;
using OtlpFlow.Operators.Otlp.Exporter;
using OtlpFlow.Operators.Resilience;
using OtlpFlow.Operators.Routing;

namespace OtlpFlow.Operators.Otlp.LoadBalancing;

/// <summary>Options of <c>loadbalancing</c>.</summary>
public sealed class LoadBalancingOptions : IValidatableObject
{
    /// <summary>
    /// What items are partitioned by: <c>traceId</c> (default: every span of a trace reaches the
    /// same member, as a tail sampler behind it needs), <c>service</c>, or any key that
    /// <c>partition.consistentHash</c> takes.
    /// </summary>
    public PartitionKey Key { get; set; } = PartitionKey.TraceId;

    /// <summary>The members' OTLP endpoints (<c>http://10.0.0.5:4317</c>): the static membership.</summary>
    public List<string> Endpoints { get; set; } = [];

    /// <summary>
    /// The name of a keyed <see cref="IMembershipSource"/> service whose members are endpoints (the
    /// coordination layer); it replaces <see cref="Endpoints"/>. Default none.
    /// </summary>
    public string? Membership { get; set; }

    /// <summary>
    /// How a batch's member is chosen: <c>hash</c> (default: by <see cref="Key"/>, every item of a
    /// key to one member) or <c>leastLoaded</c> (whole batches to the member whose published load is
    /// lowest, read from the <see cref="Load"/> source).
    /// </summary>
    public BalanceMode Balance { get; set; } = BalanceMode.Hash;

    /// <summary>
    /// For <c>leastLoaded</c>: the name of the keyed <see cref="IMemberLoadSource"/> service the
    /// members' load is read from. Default: the <see cref="Membership"/> name (<c>"etcd"</c>: the
    /// load reports of the coordination section's cluster).
    /// </summary>
    public string? Load { get; set; }

    /// <summary>
    /// For <c>leastLoaded</c>: members whose load is within this much of the lowest count as equally
    /// loaded, and the one with the fewest batches queued here among them is chosen (so that
    /// members of about the same load share the traffic instead of flapping on noise). Default 0.05.
    /// </summary>
    [Range(0.0, 1.0)]
    public double LoadTolerance { get; set; } = 0.05;

    /// <summary><c>grpc</c> (default), <c>http/protobuf</c> or <c>http/json</c>, as for <c>otlp.exporter</c>.</summary>
    public OtlpProtocol Protocol { get; set; } = OtlpProtocol.Grpc;

    /// <summary><c>none</c>, <c>gzip</c> (default) or <c>zstd</c>.</summary>
    public OtlpCompression Compression { get; set; } = OtlpCompression.Gzip;

    /// <summary>Headers (gRPC metadata) added to every request. Default none.</summary>
    public Dictionary<string, string> Headers { get; set; } = [];

    /// <summary>The longest one attempt may take. Default <c>10s</c>.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Retrying of retryable failures: the same <c>retry</c> object, keys and defaults as
    /// <c>otlp.exporter</c>'s (exponential from <c>5s</c> to <c>30s</c> with jitter, for <c>5m</c>).
    /// </summary>
    public RetryOptions Retry { get; set; } = new();

    /// <summary>Batches each member's sending queue holds; when full, the input waits. Default 100.</summary>
    [Range(1, 1_000_000)]
    public int QueueSize { get; set; } = 100;

    /// <summary>
    /// Batches sent at once to each member (requests in flight on its connection). Default 64: a
    /// member that answers only once data is delivered (a receiver with <c>"ack": "delivered"</c> in
    /// front of a tail sampler answers after the trace's decision, seconds later) needs that many
    /// to keep its throughput.
    /// </summary>
    [Range(1, 1000)]
    public int Consumers { get; set; } = 64;

    /// <summary>
    /// Parts queued for one member are sent together, as one request of at most this many bytes
    /// (encoded): a busy member gets fewer, larger requests, and each of its in-flight slots
    /// (<see cref="Consumers"/>) carries more. Only parts received within 250 ms of each other go
    /// together: a request carries one age in the tier, from which the member's tail sampler counts
    /// its decision wait. <c>0</c> sends each part alone. Default <c>1MiB</c>, below the usual 4 MiB
    /// limit of OTLP receivers.
    /// </summary>
    public ByteSize MaxRequestSize { get; set; } = ByteSize.FromMiB(1);

    /// <summary>Active health checks of the members.</summary>
    public HealthCheckOptions HealthCheck { get; set; } = new();

    /// <summary>Passive health: a member whose sends keep failing is ejected for a while and its keys go to the others.</summary>
    public OutlierEjectionOptions Ejection { get; set; } = new();

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if ((Endpoints is null || Endpoints.Count == 0) && string.IsNullOrEmpty(Membership))
        {
            yield return new ValidationResult("must list at least one member endpoint such as \"http://10.0.0.5:4317\", or name a 'membership' source", [nameof(Endpoints)]);
        }

        foreach (var endpoint in Endpoints ?? [])
        {
            if (!IsEndpoint(endpoint))
            {
                yield return new ValidationResult($"'{endpoint}' is not an http:// or https:// URL", [nameof(Endpoints)]);
            }
        }

        if (Endpoints is not null && Endpoints.Distinct(StringComparer.Ordinal).Count() != Endpoints.Count)
        {
            yield return new ValidationResult("must not list an endpoint twice", [nameof(Endpoints)]);
        }

        if (Balance == BalanceMode.LeastLoaded && string.IsNullOrEmpty(Load) && string.IsNullOrEmpty(Membership))
        {
            yield return new ValidationResult("'leastLoaded' needs a 'load' source to read the members' load from (or a 'membership' such as \"etcd\", whose name it then uses)", [nameof(Load)]);
        }

        if (Timeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be more than 0", [nameof(Timeout)]);
        }

        if (Key is null)
        {
            yield return new ValidationResult("must be a partition key such as \"traceId\" or \"service\"", [nameof(Key)]);
        }
    }

    /// <summary>True when <paramref name="endpoint"/> is an absolute http or https URL.</summary>
    internal static bool IsEndpoint(string endpoint) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
