namespace OtlpFlow.Operators.Resilience;

/// <summary>Why a retry executor stopped trying.</summary>
internal enum RetryStop
{
    /// <summary>An attempt succeeded.</summary>
    Succeeded,

    /// <summary>The last failure was not retryable.</summary>
    NotRetryable,

    /// <summary>Retries are turned off (<c>enabled: false</c>).</summary>
    Disabled,

    /// <summary><c>maxAttempts</c> attempts were made.</summary>
    MaxAttempts,

    /// <summary>Waiting again would pass <c>maxElapsed</c>.</summary>
    MaxElapsed,

    /// <summary>The retry budget had nothing left: retrying would add load to an outage.</summary>
    BudgetExhausted,
}
