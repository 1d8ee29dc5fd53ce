namespace OtlpFlow.Hosting.Tests.TestOperators;

/// <summary>A service that lets a test wait until data is flowing, instead of sleeping.</summary>
public sealed class RunProbe
{
    public TaskCompletionSource FirstBatchSent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
