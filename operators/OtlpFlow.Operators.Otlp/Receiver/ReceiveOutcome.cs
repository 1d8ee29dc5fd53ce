namespace OtlpFlow.Operators.Otlp.Receiver;

/// <summary>What a receiver answers one request, before it is put in gRPC or HTTP terms.</summary>
internal enum ReceiveStatus
{
    /// <summary>Accepted (possibly with items rejected: a partial success).</summary>
    Ok,

    /// <summary>Malformed: INVALID_ARGUMENT / 400. Not retryable.</summary>
    InvalidArgument,

    /// <summary>Larger than maxRequestSize: RESOURCE_EXHAUSTED without RetryInfo / 413. Not retryable.</summary>
    TooLarge,

    /// <summary>No room in the graph in time, or the pipeline stopping: UNAVAILABLE / 503, retryable.</summary>
    Unavailable,

    /// <summary>Over the memory budget: RESOURCE_EXHAUSTED with RetryInfo / 429, retryable.</summary>
    Throttled,

    /// <summary>Missing or wrong credentials: UNAUTHENTICATED / 401.</summary>
    Unauthenticated,

    /// <summary>The client's gRPC deadline passed before its message arrived: DEADLINE_EXCEEDED.</summary>
    DeadlineExceeded,

    /// <summary>The client cancelled or reset the request: CANCELLED (if anyone is left to hear it).</summary>
    Cancelled,

    /// <summary>Lost downstream to an error that a retry will not fix: INTERNAL / 500.</summary>
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
