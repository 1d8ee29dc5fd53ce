namespace OtlpFlow.Operators.Resilience;

/// <summary>What one attempt came to, for the retry executor.</summary>
internal enum AttemptOutcomeKind
{
    /// <summary>Done: no retry.</summary>
    Success,

    /// <summary>Failed in a way that may succeed if tried again (unavailable, throttled, timed out).</summary>
    Retryable,

    /// <summary>Failed for good (bad request, refused): never retried.</summary>
    Permanent,
}
