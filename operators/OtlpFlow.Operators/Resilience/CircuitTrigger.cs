namespace OtlpFlow.Operators.Resilience;

/// <summary>Why a <see cref="CircuitBreaker"/> changed state.</summary>
public enum CircuitTrigger
{
    /// <summary>Too many failures in a row (closed to open).</summary>
    ConsecutiveFailures,

    /// <summary>The failure ratio over the sampling window reached its threshold (closed to open).</summary>
    FailureRatio,

    /// <summary>The slow-call ratio over the sampling window reached its threshold (closed to open).</summary>
    SlowCallRatio,

    /// <summary>The break ended (open to half-open).</summary>
    BreakElapsed,

    /// <summary>A probe failed or was slow (half-open to open).</summary>
    ProbeFailed,

    /// <summary>Every probe succeeded (half-open to closed).</summary>
    ProbesSucceeded,

    /// <summary>Opened by hand.</summary>
    Isolated,

    /// <summary>Closed by hand.</summary>
    Reset,
}
