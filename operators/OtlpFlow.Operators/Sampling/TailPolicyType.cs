namespace OtlpFlow.Operators.Sampling;

/// <summary>The kinds of policy <c>sampling.tail</c> evaluates on a whole trace.</summary>
public enum TailPolicyType
{
    /// <summary>Keeps every trace.</summary>
    Always,

    /// <summary>Keeps a trace whose duration (latest end − earliest start) is at least <c>thresholdMs</c> (and at most <c>upperThresholdMs</c> when set).</summary>
    Latency,

    /// <summary>Keeps a trace with a span or resource whose integer or double attribute <c>key</c> lies in [<c>minValue</c>, <c>maxValue</c>].</summary>
    NumericAttribute,

    /// <summary>Keeps a trace with a span or resource whose string attribute <c>key</c> equals (or, with <c>regex</c>, matches) one of <c>values</c>.</summary>
    StringAttribute,

    /// <summary>Keeps a trace with a span or resource whose boolean attribute <c>key</c> is <c>value</c>.</summary>
    BooleanAttribute,

    /// <summary>Keeps a trace with a span whose status code is one of <c>codes</c>.</summary>
    StatusCode,

    /// <summary>Keeps <c>ratio</c> of traces, consistently by trace-id randomness.</summary>
    Probabilistic,

    /// <summary>Keeps traces while the spans it kept in the current second stay within <c>spansPerSecond</c>.</summary>
    RateLimiting,

    /// <summary>Keeps traces while their bytes fit a token bucket of <c>bytesPerSecond</c> (burst <c>burstBytes</c>).</summary>
    BytesLimiting,

    /// <summary>Keeps a trace with at least <c>minSpans</c> (and at most <c>maxSpans</c> when set) spans.</summary>
    SpanCount,

    /// <summary>Keeps a trace with a span whose tracestate has entry <c>key</c> with one of <c>values</c>.</summary>
    TraceState,

    /// <summary>Keeps a trace that every sub-policy keeps.</summary>
    And,

    /// <summary>Keeps a trace that its one sub-policy does not keep, and the reverse.</summary>
    Not,

    /// <summary>Drops a trace that every sub-policy keeps; a drop wins over any keep.</summary>
    Drop,

    /// <summary>
    /// Rate allocation: sub-policies in order, each with a <c>percent</c> share of
    /// <c>maxTotalSpansPerSecond</c>; the first that keeps the trace and has budget left keeps it.
    /// </summary>
    Composite,
}
