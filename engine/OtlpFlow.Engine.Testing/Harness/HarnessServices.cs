namespace OtlpFlow.Engine.Testing.Harness;

/// <summary>The test's services, plus the harness's wiring for its own source and sinks.</summary>
internal sealed class HarnessServices(HarnessWiring wiring, IServiceProvider? inner) : IServiceProvider
{
    public object? GetService(Type serviceType) =>
        serviceType == typeof(HarnessWiring) ? wiring : inner?.GetService(serviceType);
}
