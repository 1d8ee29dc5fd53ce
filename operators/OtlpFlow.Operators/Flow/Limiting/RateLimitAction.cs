namespace OtlpFlow.Operators.Flow;

/// <summary>What a rate limiter does with a batch over the limit.</summary>
public enum RateLimitAction
{
    /// <summary>Holds the batch until the limit permits it: backpressure, nothing lost.</summary>
    Wait,

    /// <summary>Refuses the batch: counted as dropped (reason <c>rateLimited</c>) and sent to the <c>dropped</c> port.</summary>
    Drop,

    /// <summary>Passes the part that fits now; the rest is dropped or held, as <c>splitRemainder</c> says.</summary>
    Split,
}
