namespace OtlpFlow.Operators.Resilience;

/// <summary>
/// The load signals of <c>resilience.degradation</c>, each read as a number from 0 (idle) to 1
/// (saturated); the load is the highest of them.
/// </summary>
public sealed class DegradationSignalOptions
{
    /// <summary>The name of the keyed <see cref="IDegradationSignal"/> service that <see cref="Load"/> reads.</summary>
    public const string LoadSignalName = "load";

    /// <summary>
    /// Queue fill: batches this operator sent on that are not yet acknowledged downstream (in
    /// exporters' queues, in flight to peers), as a share of <see cref="QueueCapacity"/>. Default true.
    /// </summary>
    public bool Queue { get; set; } = true;

    /// <summary>The number of unacknowledged batches that counts as a full queue. Default 1000.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, int.MaxValue)]
    public int QueueCapacity { get; set; } = 1000;

    /// <summary>The pipeline's memory budget in use (ignored when the pipeline has no <c>memoryLimit</c>). Default true.</summary>
    public bool Memory { get; set; } = true;

    /// <summary>
    /// Downstream breaker: a circuit breaker fed by the acknowledgements of what this operator sent
    /// on (failures when exporters give up or their breakers reject). Open reads 1, half-open 0.5,
    /// closed 0. Default true.
    /// </summary>
    public bool Breaker { get; set; } = true;

    /// <summary>The breaker's options. Default: opens after 5 failures in a row for 30 s.</summary>
    public CircuitBreakerOptions BreakerOptions { get; set; } = new() { ConsecutiveFailures = 5, FailureRatio = 0 };

    /// <summary>The process's CPU use across all cores over the last interval. Default false.</summary>
    public bool Cpu { get; set; }

    /// <summary>
    /// This instance's load score as the coordination layer's load monitor measures it (the worst
    /// of CPU, GC pauses and the fullest operator queue of the pipeline, published to etcd as
    /// <c>load/{member}</c>): needs a pipeline whose <c>coordination</c> section has <c>etcd</c>, or a
    /// host that registers an <see cref="IDegradationSignal"/> under <see cref="LoadSignalName"/>.
    /// Default false.
    /// </summary>
    public bool Load { get; set; }
}
