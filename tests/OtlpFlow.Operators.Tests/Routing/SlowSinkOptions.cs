namespace OtlpFlow.Operators.Tests.Routing;

public sealed class SlowSinkOptions
{
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(20);
}
