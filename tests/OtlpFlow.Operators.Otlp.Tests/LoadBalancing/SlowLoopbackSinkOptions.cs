namespace OtlpFlow.Operators.Otlp.Tests.LoadBalancing;

public sealed class SlowLoopbackSinkOptions
{
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(20);
}
