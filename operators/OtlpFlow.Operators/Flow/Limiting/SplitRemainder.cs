namespace OtlpFlow.Operators.Flow;

/// <summary>What <see cref="RateLimitAction.Split"/> does with the part of a batch that does not fit.</summary>
public enum SplitRemainder
{
    /// <summary>Drops it (counted, to the <c>dropped</c> port).</summary>
    Drop,

    /// <summary>Holds it until the limit permits it.</summary>
    Wait,
}
