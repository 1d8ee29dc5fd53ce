using System.ComponentModel.DataAnnotations;
using OtlpFlow.Engine.Options;

namespace OtlpFlow.Operators.Arrow.Flight;

/// <summary>Options of <c>arrow.flight.receiver</c>.</summary>
public sealed class ArrowFlightReceiverOptions : IValidatableObject
{
    /// <summary>Where the Flight server listens, <c>host:port</c> (port 0 picks a free one). Default <c>"127.0.0.1:4319"</c>.</summary>
    public string Endpoint { get; set; } = "127.0.0.1:4319";

    /// <summary>When a batch is acknowledged: <c>accepted</c> or <c>delivered</c>. Default <c>delivered</c>.</summary>
    public ArrowFlightAckMode Ack { get; set; } = ArrowFlightAckMode.Delivered;

    /// <summary>
    /// Arrow memory (messages received and not yet settled, buffers being decoded) above which the
    /// receiver stops reading its streams until some is released. Default <c>"64MiB"</c>.
    /// </summary>
    public ByteSize MemoryLimit { get; set; } = ByteSize.FromMiB(64);

    /// <summary>Largest gRPC message accepted. Default <c>"64MiB"</c>.</summary>
    public ByteSize MaxMessageSize { get; set; } = ByteSize.FromMiB(64);

    /// <summary>How long streams in progress may take to finish when the pipeline stops. Default <c>"5s"</c>.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Endpoint) || !Endpoint.Contains(':', StringComparison.Ordinal))
        {
            yield return new ValidationResult($"must be an endpoint of the form host:port, got \"{Endpoint}\"", [nameof(Endpoint)]);
        }

        if (MemoryLimit.Bytes <= 0)
        {
            yield return new ValidationResult("must be a positive size such as \"64MiB\"", [nameof(MemoryLimit)]);
        }

        if (MaxMessageSize.Bytes <= 0 || MaxMessageSize.Bytes > int.MaxValue)
        {
            yield return new ValidationResult("must be a positive size below 2GiB such as \"64MiB\"", [nameof(MaxMessageSize)]);
        }
    }
}
