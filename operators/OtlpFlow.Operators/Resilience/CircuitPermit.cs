namespace OtlpFlow.Operators.Resilience;

/// <summary>
/// The answer of <see cref="CircuitBreaker.Acquire"/>: a value, so that a rejection costs no
/// exception and no allocation. A granted permit is handed back with the call's outcome
/// (<see cref="CircuitBreaker.RecordSuccess"/>, <see cref="CircuitBreaker.RecordFailure"/>) or
/// <see cref="CircuitBreaker.Release"/> when the call was never made.
/// </summary>
public readonly struct CircuitPermit
{
    internal CircuitPermit(bool granted, bool probe, long generation, long started, TimeSpan retryAfter)
    {
        IsGranted = granted;
        IsProbe = probe;
        Generation = generation;
        Started = started;
        RetryAfter = retryAfter;
    }

    /// <summary>True when the call may go ahead.</summary>
    public bool IsGranted { get; }

    /// <summary>True when the call is one of the half-open state's probes.</summary>
    public bool IsProbe { get; }

    /// <summary>For a rejection: how long until the breaker will admit a probe (zero when unknown or isolated).</summary>
    public TimeSpan RetryAfter { get; }

    /// <summary>The breaker's state generation when granted: outcomes of calls from an earlier state are ignored.</summary>
    internal long Generation { get; }

    /// <summary>The clock's timestamp when granted, to measure the call's duration.</summary>
    internal long Started { get; }
}
