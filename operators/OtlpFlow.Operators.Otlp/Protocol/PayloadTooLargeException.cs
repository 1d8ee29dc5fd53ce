namespace OtlpFlow.Operators.Otlp.Protocol;

/// <summary>A body, compressed or not, went past the receiver's <c>maxRequestSize</c>.</summary>
internal sealed class PayloadTooLargeException(long limit)
    : Exception($"the request is larger than the limit of {limit} bytes (maxRequestSize)")
{
    public long Limit { get; } = limit;
}
