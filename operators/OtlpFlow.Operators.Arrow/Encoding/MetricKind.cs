namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>The type column of the metrics table.</summary>
internal static class MetricKind
{
    public const int None = 0;
    public const int Gauge = 1;
    public const int Sum = 2;
    public const int Histogram = 3;
    public const int ExponentialHistogram = 4;
    public const int Summary = 5;
}
