using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Operators.Coordination;
using OtlpFlow.Operators.Coordination.Etcd;
using OtlpFlow.Operators.Coordination.Load;
using OtlpFlow.Operators.Coordination.Redis;
using OtlpFlow.Operators.Coordination.Sampling;
using OtlpFlow.Operators.Otlp.LoadBalancing;
using OtlpFlow.Operators.Resilience;
using OtlpFlow.Operators.Routing;
using OtlpFlow.Operators.Sampling;

namespace OtlpFlow.Hosting.Reload;

/// <summary>
/// The coordination layer that a pipeline's <c>"coordination"</c> section asks for, started and
/// offered to its operators as services on top of the host's: the <see cref="EtcdCoordinator"/>
/// (and its membership as the keyed <see cref="IMembershipSource"/> <c>"etcd"</c>), the cluster
/// sampling coordinator (<see cref="IClusterSampling"/>), the <see cref="LoadMonitor"/> (also the
/// keyed <see cref="IDegradationSignal"/> <c>"load"</c> of <c>resilience.degradation</c>), the
/// members' published load (<see cref="ClusterLoad"/>, as the keyed <see cref="IMemberLoadSource"/>
/// <c>"etcd"</c> of <c>loadbalancing</c> with <c>"balance": "leastLoaded"</c>) and the shared
/// <see cref="RedisConnection"/>. Build the pipeline with this as its service provider.
/// </summary>
public sealed class CoordinatedServices : IServiceProvider, IKeyedServiceProvider, IAsyncDisposable
{
    private readonly IServiceProvider _inner;
    private readonly Dictionary<Type, object> _services = [];
    private readonly Dictionary<(Type, string), object> _keyed = [];
    private readonly List<IAsyncDisposable> _owned = [];

    /// <summary>How often the load monitor measures and publishes.</summary>
    internal static readonly TimeSpan LoadInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long a member's load report is trusted without a newer one: three publishing intervals.</summary>
    internal static readonly TimeSpan LoadStaleAfter = 3 * LoadInterval;

    /// <summary>The longest the coordinator may take to join etcd before the start fails.</summary>
    internal static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(15);

    private CoordinatedServices(IServiceProvider inner) => _inner = inner;

    /// <summary>The etcd coordinator, when the section has <c>etcd</c>.</summary>
    public EtcdCoordinator? Coordinator { get; private set; }

    /// <summary>The load monitor, when the section has <c>etcd</c>; it measures the pipeline given to <see cref="StartAsync"/>.</summary>
    public LoadMonitor? Load { get; private set; }

    /// <summary>The members' published load (of <c>etcd.membersOf</c>, else of this cluster), when the section has <c>etcd</c>.</summary>
    public ClusterLoad? ClusterLoad { get; private set; }

    /// <summary>
    /// Starts what <paramref name="spec"/>'s <c>"coordination"</c> section configures (nothing when it has none).
    /// </summary>
    /// <param name="spec">The pipeline.</param>
    /// <param name="inner">The host's services, asked for everything else.</param>
    /// <param name="pipeline">The pipeline whose queues the load monitor measures, once it runs.</param>
    /// <param name="loggerFactory">Loggers for the coordination parts.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="ArgumentException">The section is malformed.</exception>
    public static async Task<CoordinatedServices> StartAsync(PipelineSpec spec, IServiceProvider inner, Func<RunningPipeline?> pipeline, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(pipeline);
        var logs = loggerFactory ?? NullLoggerFactory.Instance;
        var services = new CoordinatedServices(inner);
        if (CoordinationOptions.From(spec) is not { } options)
        {
            return services;
        }

        try
        {
            if (options.Etcd is { } etcd)
            {
                var coordinator = new EtcdCoordinator(etcd, logs.CreateLogger("OtlpFlow.Coordination.Etcd"));
                services._owned.Add(coordinator);
                await JoinAsync(coordinator, etcd, cancellationToken).ConfigureAwait(false);
                services.Coordinator = coordinator;
                services._services[typeof(EtcdCoordinator)] = coordinator;
                services._keyed[(typeof(IMembershipSource), CoordinationServiceCollectionExtensions.EtcdMembershipName)] = coordinator.Membership;

                var sampling = new ClusterSamplingCoordinator(coordinator, TimeSpan.FromSeconds(15), logs.CreateLogger("OtlpFlow.Coordination.Sampling"));
                services._owned.Add(sampling);
                sampling.Start();
                services._services[typeof(IClusterSampling)] = sampling;

                var load = new LoadMonitor(pipeline, coordinator, LoadInterval, logs.CreateLogger("OtlpFlow.Coordination.Load"));
                services._owned.Add(load);
                load.Start();
                services.Load = load;
                services._services[typeof(LoadMonitor)] = load;
                services._keyed[(typeof(IDegradationSignal), DegradationSignalOptions.LoadSignalName)] = load;

                var cluster = new ClusterLoad(coordinator, LoadStaleAfter, etcd.MembersOf);
                services._owned.Add(new SyncDisposer(cluster));
                cluster.Start();
                services.ClusterLoad = cluster;
                services._services[typeof(ClusterLoad)] = cluster;
                services._keyed[(typeof(IMemberLoadSource), CoordinationServiceCollectionExtensions.EtcdMembershipName)] = new ClusterLoadSource(cluster);
            }

            if (options.Redis is { } redis)
            {
                var connection = await RedisConnections.ConnectAsync(redis.Connection, redis.Timeout).ConfigureAwait(false);
                services._owned.Add(connection);
                services._services[typeof(RedisConnection)] = new RedisConnection(connection, redis);
            }
        }
        catch
        {
            await services.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return services;
    }

    /// <summary>
    /// Starts the coordinator within <see cref="JoinTimeout"/>, turning an unreachable etcd into an
    /// error that names the endpoint (the runner reports it under <c>$.coordination</c>).
    /// </summary>
    private static async Task JoinAsync(EtcdCoordinator coordinator, EtcdOptions etcd, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(JoinTimeout);
        try
        {
            // Not yet a member: the host announces it once the pipeline's receivers accept
            // (AnnounceAsync), so that no one sends to an instance that cannot take data yet.
            await coordinator.StartAsync(announce: false, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var reason = ex is RpcException { StatusCode: not StatusCode.Cancelled } rpc
                ? $"{rpc.StatusCode}: {rpc.Status.Detail}"
                : $"no answer within {JoinTimeout.TotalSeconds:0}s";
            throw new InvalidOperationException($"'$.coordination.etcd': cannot join etcd at {string.Join(", ", etcd.Endpoints)} ({reason})", ex);
        }
    }

    /// <summary>
    /// Makes this instance a member of its cluster (when the section has <c>etcd</c>): call it once the
    /// pipeline has started, its receivers listening.
    /// </summary>
    public Task AnnounceAsync(CancellationToken cancellationToken = default) =>
        Coordinator?.AnnounceAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>
    /// The first step of a graceful stop (when the section has <c>etcd</c>): this instance stops being a
    /// member, so others send it nothing new, and is listed as draining until it is disposed. A
    /// failure to reach etcd is logged by the caller; the lease then ends with the instance.
    /// </summary>
    public Task LeaveAsync(CancellationToken cancellationToken = default) =>
        Coordinator?.LeaveAsync(cancellationToken) ?? Task.CompletedTask;

    /// <inheritdoc />
    public object? GetService(Type serviceType) =>
        _services.TryGetValue(serviceType, out var service) ? service : _inner.GetService(serviceType);

    /// <inheritdoc />
    public object? GetKeyedService(Type serviceType, object? serviceKey) =>
        serviceKey is string name && _keyed.TryGetValue((serviceType, name), out var service) ? service
            : _inner is IKeyedServiceProvider keyed ? keyed.GetKeyedService(serviceType, serviceKey) : null;

    /// <inheritdoc />
    public object GetRequiredKeyedService(Type serviceType, object? serviceKey) =>
        GetKeyedService(serviceType, serviceKey) ?? throw new InvalidOperationException($"No service of type {serviceType.Name} is registered under '{serviceKey}'.");

    /// <summary>Stops everything started, last first (the coordinator leaves the cluster at once).</summary>
    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync().ConfigureAwait(false);
        }

        _owned.Clear();
    }

    /// <summary>Lets a synchronously disposed part be stopped in order with the others.</summary>
    private sealed class SyncDisposer(IDisposable inner) : IAsyncDisposable
    {
        ValueTask IAsyncDisposable.DisposeAsync()
        {
            inner.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
