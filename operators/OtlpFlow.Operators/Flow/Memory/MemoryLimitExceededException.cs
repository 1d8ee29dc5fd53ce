namespace OtlpFlow.Operators.Flow;

/// <summary>
/// Fails the acknowledgement of data refused by <c>flow.memoryLimiter</c>. It is retryable: a
/// receiver answers its client with the OTLP throttling response (gRPC <c>RESOURCE_EXHAUSTED</c>,
/// HTTP 429/503 with a retry delay) rather than a permanent error.
/// </summary>
public sealed class MemoryLimitExceededException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MemoryLimitExceededException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public MemoryLimitExceededException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public MemoryLimitExceededException() { }

    /// <summary>How long the client should wait before retrying.</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(1);
}
