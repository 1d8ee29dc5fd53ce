using Google.Protobuf;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Otlp.Exporter;

/// <summary>
/// One attempt to send one export request to an OTLP peer, over one protocol. The exporter wraps it
/// with retries and its queue; this is also the seam where a circuit breaker or a failover between
/// endpoints wraps a sender (a sender that decorates other senders).
/// </summary>
internal interface IOtlpSender : IAsyncDisposable
{
    /// <summary>Sends once, never throwing for an answer of the peer: failures are in the result.</summary>
    /// <param name="signal">The request's signal.</param>
    /// <param name="request">The export request.</param>
    /// <param name="cancellationToken">Cancels the attempt (the attempt timeout or the pipeline abort).</param>
    Task<OtlpSendResult> SendAsync(Signal signal, IMessage request, CancellationToken cancellationToken);

    /// <summary>
    /// Sends a batch. A sender that can put bytes on the wire as they are overrides this to send an
    /// encoded batch's bytes without building its objects; the default sends the payload.
    /// </summary>
    /// <param name="batch">The batch to send.</param>
    /// <param name="cancellationToken">Cancels the attempt (the attempt timeout or the pipeline abort).</param>
    Task<OtlpSendResult> SendAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return SendAsync(batch.Signal, batch.Payload, cancellationToken);
    }
}
