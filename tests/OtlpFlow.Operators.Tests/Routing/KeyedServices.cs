using Microsoft.Extensions.DependencyInjection;

namespace OtlpFlow.Operators.Tests.Routing;

/// <summary>A minimal service provider with keyed services, as a host's container would give.</summary>
internal sealed class KeyedServices : IServiceProvider, IKeyedServiceProvider
{
    private readonly Dictionary<(Type, object), object> _keyed = [];

    public KeyedServices Add<T>(object key, T service)
        where T : class
    {
        _keyed[(typeof(T), key)] = service;
        return this;
    }

    public object? GetService(Type serviceType) => null;

    public object? GetKeyedService(Type serviceType, object? serviceKey) =>
        serviceKey is not null && _keyed.TryGetValue((serviceType, serviceKey), out var s) ? s : null;

    public object GetRequiredKeyedService(Type serviceType, object? serviceKey) =>
        GetKeyedService(serviceType, serviceKey) ?? throw new InvalidOperationException($"no {serviceType.Name} under '{serviceKey}'");
}
