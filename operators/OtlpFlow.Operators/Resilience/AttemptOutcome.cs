namespace OtlpFlow.Operators.Resilience;

/// <summary>The classification of one attempt's result, with the server's retry hint when it gave one.</summary>
public readonly record struct AttemptOutcome(AttemptOutcomeKind Kind, TimeSpan? RetryAfter = null)
{
    /// <summary>A success.</summary>
    public static AttemptOutcome Success => new(AttemptOutcomeKind.Success);

    /// <summary>A permanent failure.</summary>
    public static AttemptOutcome Permanent => new(AttemptOutcomeKind.Permanent);

    /// <summary>A retryable failure, with the wait the server asked for if any.</summary>
    public static AttemptOutcome Retryable(TimeSpan? retryAfter = null) => new(AttemptOutcomeKind.Retryable, retryAfter);
}
