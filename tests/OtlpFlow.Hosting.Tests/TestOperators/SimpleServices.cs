namespace OtlpFlow.Hosting.Tests.TestOperators;

/// <summary>A service provider holding a few instances, for runs without a host.</summary>
public sealed class SimpleServices(params object[] services) : IServiceProvider
{
    public object? GetService(Type serviceType) => services.FirstOrDefault(serviceType.IsInstanceOfType);
}
