namespace OtlpFlow.Cli.Tests.TestOperators;

/// <summary>Lets a test wait until data is flowing, instead of sleeping.</summary>
public sealed class RunProbe : IServiceProvider
{
    public TaskCompletionSource FirstBatchSent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public object? GetService(Type serviceType) => serviceType == typeof(RunProbe) ? this : null;
}
