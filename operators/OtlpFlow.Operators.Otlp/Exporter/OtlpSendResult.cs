namespace OtlpFlow.Operators.Otlp.Exporter;

/// <summary>What one attempt to send a request to an OTLP peer came to.</summary>
/// <param name="Succeeded">The peer accepted the request (perhaps in part).</param>
/// <param name="Retryable">A failure that the OTLP specification allows to retry.</param>
/// <param name="RetryAfter">The delay the peer asked for (RetryInfo or Retry-After), if any.</param>
/// <param name="Rejected">Items the peer rejected in a partial success.</param>
/// <param name="Message">The peer's error or partial-success message.</param>
/// <param name="InvalidData">
/// The peer refused the data itself (HTTP 400, gRPC INVALID_ARGUMENT): some items of the request are
/// bad, and a request without them may be accepted.
/// </param>
internal sealed record OtlpSendResult(bool Succeeded, bool Retryable, TimeSpan? RetryAfter, long Rejected, string? Message, bool InvalidData = false)
{
    /// <summary>Full success.</summary>
    public static OtlpSendResult Success { get; } = new(true, false, null, 0, null);

    /// <summary>A success in which the peer rejected <paramref name="rejected"/> items.</summary>
    public static OtlpSendResult Partial(long rejected, string? message) => new(true, false, null, rejected, message);

    /// <summary>A failure.</summary>
    public static OtlpSendResult Failure(bool retryable, string message, TimeSpan? retryAfter = null) => new(false, retryable, retryAfter, 0, message);

    /// <summary>The peer refused the request's data as invalid (permanent).</summary>
    public static OtlpSendResult Invalid(string message) => new(false, false, null, 0, message, InvalidData: true);
}
