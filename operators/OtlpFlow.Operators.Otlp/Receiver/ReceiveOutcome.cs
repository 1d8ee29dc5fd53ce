namespace OtlpFlow.Operators.Otlp.Receiver;

/// <summary>What a receiver answers one request, before it is put in gRPC or HTTP terms.</summary>
internal enum ReceiveStatus
{
    /// <summary>Accepted (possibly with items rejected: a partial success).</summary>
    Ok,

    /// <summary>Malformed: INVALID_ARGUMENT / 400. Not retryable.</summary>
    InvalidArgument,

    /// <summary>Failed downstream for good (a permanent failure): INVALID_ARGUMENT / 400. Not retryable.</summary>
    Rejected,

    /// <summary>Larger than maxRequestSize: RESOURCE_EXHAUSTED without RetryInfo / 413. Not retryable.</summary>
    TooLarge,

    /// <summary>No room in the graph in time, the pipeline stopping, or a transient failure downstream: UNAVAILABLE / 503, retryable.</summary>
    Unavailable,

    /// <summary>Over the memory budget: RESOURCE_EXHAUSTED with RetryInfo / 429, retryable.</summary>
    Throttled,

    /// <summary>Missing or wrong credentials: UNAUTHENTICATED / 401.</summary>
    Unauthenticated,

    /// <summary>The client's gRPC deadline passed before its message arrived: DEADLINE_EXCEEDED.</summary>
    DeadlineExceeded,

    /// <summary>The client cancelled or reset the request: CANCELLED (if anyone is left to hear it).</summary>
    Cancelled,

    /// <summary>A failure of the receiver itself (a bug): INTERNAL / 500 with a status body. Never used for downstream failures.</summary>
    Internal,
}

/// <summary>A receiver's answer to one request.</summary>
/// <param name="Status">The kind of answer.</param>
/// <param name="Message">The error or partial-success message.</param>
/// <param name="Rejected">Items rejected in a partial success.</param>
/// <param name="RetryAfter">The delay advertised for a retryable answer.</param>
internal readonly record struct ReceiveOutcome(ReceiveStatus Status, string? Message = null, long Rejected = 0, TimeSpan? RetryAfter = null)
{
    public static ReceiveOutcome Success { get; } = new(ReceiveStatus.Ok);
}
