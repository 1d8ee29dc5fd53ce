namespace OtlpFlow.Operators.Resilience;

/// <summary>The state of a <see cref="CircuitBreaker"/>.</summary>
public enum CircuitState
{
    /// <summary>Calls flow; outcomes are watched for failures.</summary>
    Closed,

    /// <summary>Calls are rejected until the break ends.</summary>
    Open,

    /// <summary>A set number of probe calls is admitted; their outcomes close or reopen the circuit.</summary>
    HalfOpen,

    /// <summary>Opened by hand (<see cref="CircuitBreaker.Isolate"/>): rejects until <see cref="CircuitBreaker.Reset"/>.</summary>
    Isolated,
}
