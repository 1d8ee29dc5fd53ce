namespace OtlpFlow.Operators.Coordination.Resilience;

/// <summary>What <c>resilience.distributedBreaker</c> does with a batch while the circuit is open.</summary>
public enum BreakerOpenAction
{
    /// <summary>Refuses it: counted as dropped (reason <c>circuitOpen</c>) and sent to the <c>dropped</c> port.</summary>
    Drop,

    /// <summary>Holds it until the breaker admits a call again: backpressure, nothing lost.</summary>
    Wait,
}
