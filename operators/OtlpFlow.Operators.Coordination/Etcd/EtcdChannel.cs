using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace OtlpFlow.Operators.Coordination.Etcd;

/// <summary>
/// The one gRPC channel a coordinator talks to etcd on, over every listed endpoint: gRPC's
/// client-side balancing with a fixed address list and the <c>pick_first</c> policy, so the channel
/// connects to the first endpoint that accepts, and when that connection fails it connects again
/// trying the endpoints in order. Calls in flight on a lost connection fail (the coordinator's
/// loops retry them); new calls wait for the next connection instead of failing while one of the
/// endpoints still answers.
/// </summary>
internal static class EtcdChannel
{
    /// <summary>Creates the channel.</summary>
    /// <exception cref="ArgumentException">An endpoint is not an <c>http://</c> or <c>https://</c> address with a host, or they mix the two.</exception>
    public static GrpcChannel Create(IReadOnlyList<string> endpoints)
    {
        var addresses = Parse(endpoints);
        var secure = addresses[0].Scheme == Uri.UriSchemeHttps;
        var services = new ServiceCollection();
        services.AddSingleton<ResolverFactory>(new StaticResolverFactory(_ => addresses.Select(a => new BalancerAddress(a.Host, a.Port)).ToArray()));

        // The channel's own address names only the resolver; its authority (the first endpoint)
        // is what requests carry as :authority and, with TLS, the name certificates are checked for.
        return GrpcChannel.ForAddress($"static://{addresses[0].Authority}", new GrpcChannelOptions
        {
            Credentials = secure ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure,
            ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new PickFirstConfig() } },
            ServiceProvider = services.BuildServiceProvider(),
            HttpHandler = new SocketsHttpHandler
            {
                // A dead endpoint that drops packets (rather than refusing) must not hold up the next one for long.
                ConnectTimeout = TimeSpan.FromSeconds(3),

                // A connection whose peer vanished without closing it is noticed by HTTP/2 pings, so
                // that the keep-alive and watch streams move to another endpoint.
                KeepAlivePingDelay = TimeSpan.FromSeconds(5),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
                EnableMultipleHttp2Connections = true,
            },
            DisposeHttpClient = true,
        });
    }

    /// <summary>Parses and checks the endpoints.</summary>
    /// <exception cref="ArgumentException">The first problem found, naming the endpoint.</exception>
    internal static Uri[] Parse(IReadOnlyList<string> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return Check(endpoints, out var addresses) is { } problem
            ? throw new ArgumentException($"'{problem.Key}' {problem.Message}", nameof(endpoints))
            : addresses;
    }

    /// <summary>The first problem with <paramref name="endpoints"/> (the option's key and what is wrong), or null when they are usable.</summary>
    internal static (string Key, string Message)? Check(IReadOnlyList<string> endpoints, out Uri[] addresses)
    {
        addresses = new Uri[endpoints.Count];
        if (endpoints.Count == 0)
        {
            return ("etcd.endpoints", "must list at least one endpoint such as \"http://127.0.0.1:2379\"");
        }

        for (var i = 0; i < endpoints.Count; i++)
        {
            if (!Uri.TryCreate(endpoints[i], UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                || uri.Host.Length == 0)
            {
                return ($"etcd.endpoints[{i}]", $"must be an address such as \"http://127.0.0.1:2379\", got \"{endpoints[i]}\"");
            }

            if (i > 0 && uri.Scheme != addresses[0].Scheme)
            {
                return ("etcd.endpoints", $"must all use http:// or all https://, got \"{endpoints[0]}\" and \"{endpoints[i]}\"");
            }

            addresses[i] = uri;
        }

        return null;
    }
}
