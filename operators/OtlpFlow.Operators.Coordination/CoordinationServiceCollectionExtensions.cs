using Microsoft.Extensions.DependencyInjection;
using OtlpFlow.Operators.Coordination.Etcd;
using OtlpFlow.Operators.Coordination.Redis;
using OtlpFlow.Operators.Routing;

namespace OtlpFlow.Operators.Coordination;

/// <summary>Makes the coordination layer available to operators through the host's services.</summary>
public static class CoordinationServiceCollectionExtensions
{
    /// <summary>The name under which the etcd membership is registered: <c>"membership": "etcd"</c>.</summary>
    public const string EtcdMembershipName = "etcd";

    /// <summary>
    /// Registers <paramref name="coordinator"/>, and its membership as the keyed
    /// <see cref="IMembershipSource"/> <paramref name="name"/> that <c>partition.consistentHash</c> and
    /// <c>loadbalancing</c> follow with <c>"membership": "etcd"</c>.
    /// </summary>
    public static IServiceCollection AddEtcdCoordination(this IServiceCollection services, EtcdCoordinator coordinator, string name = EtcdMembershipName)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(coordinator);
        services.AddSingleton(coordinator);
        services.AddKeyedSingleton<IMembershipSource>(name, coordinator.Membership);
        return services;
    }

    /// <summary>Registers the pipeline's shared Redis connection, used by coordination operators that have no <c>redis</c> option of their own.</summary>
    public static IServiceCollection AddRedisCoordination(this IServiceCollection services, RedisConnection connection)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(connection);
        return services.AddSingleton(connection);
    }
}
