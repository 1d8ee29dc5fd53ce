namespace OtlpFlow.Operators.Flow;

/// <summary>What a rate limiter counts.</summary>
public enum RateLimitUnit
{
    /// <summary>Spans, data points or log records.</summary>
    Items,

    /// <summary>Encoded protobuf bytes.</summary>
    Bytes,

    /// <summary>Batches (export requests), whatever their size.</summary>
    Batches,
}
