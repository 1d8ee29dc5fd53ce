using OtlpFlow.Engine.Operators;

namespace OtlpFlow.Operators.Resilience;

/// <summary>The classification of one attempt's result, with the server's retry hint when it gave one.</summary>
internal readonly record struct AttemptOutcome(AttemptOutcomeKind Kind, TimeSpan? RetryAfter = null)
{
    /// <summary>A success.</summary>
    public static AttemptOutcome Success => new(AttemptOutcomeKind.Success);

    /// <summary>A permanent failure.</summary>
    public static AttemptOutcome Permanent => new(AttemptOutcomeKind.Permanent);

    /// <summary>A retryable failure, with the wait the server asked for if any.</summary>
    public static AttemptOutcome Retryable(TimeSpan? retryAfter = null) => new(AttemptOutcomeKind.Retryable, retryAfter);

    /// <summary>
    /// The outcome of an attempt that failed with <paramref name="error"/>: permanent when
    /// <see cref="PermanentFailureException.IsPermanent"/> says so, retryable otherwise.
    /// </summary>
    /// <param name="error">The failure.</param>
    /// <param name="retryAfter">The wait the peer asked for, if any (kept only when retryable).</param>
    public static AttemptOutcome Failure(Exception? error, TimeSpan? retryAfter = null) =>
        PermanentFailureException.IsPermanent(error) ? Permanent : Retryable(retryAfter);
}
