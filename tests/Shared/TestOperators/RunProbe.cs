namespace OtlpFlow.Tests.Shared;

/// <summary>Lets a test wait until data is flowing, instead of sleeping. It is also a service provider of itself, for hosts given no container.</summary>
public sealed class RunProbe : IServiceProvider
{
    public TaskCompletionSource FirstBatchSent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public object? GetService(Type serviceType) => serviceType == typeof(RunProbe) ? this : null;
}
