using System.Text.Json.Nodes;
using OtlpFlow.Engine.Options;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Operators.Coordination.Etcd;
using OtlpFlow.Operators.Coordination.Redis;

namespace OtlpFlow.Operators.Coordination;

/// <summary>
/// A pipeline's <c>"coordination"</c> section:
/// <c>{ "etcd": { "endpoints": ["http://127.0.0.1:2379"], "prefix": "/otlpflow/prod" }, "redis": { "connection": "127.0.0.1:6379" } }</c>.
/// </summary>
public sealed class CoordinationOptions
{
    /// <summary>etcd: membership, leader election, config and published figures. Default none.</summary>
    public EtcdOptions? Etcd { get; set; }

    /// <summary>Redis: the distributed limiter's and breaker's shared state. Default none.</summary>
    public RedisOptions? Redis { get; set; }

    /// <summary>Binds the section of <paramref name="spec"/>; null when it has none.</summary>
    /// <exception cref="ArgumentException">The section is malformed; the message lists every problem.</exception>
    public static CoordinationOptions? From(PipelineSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Coordination is null ? null : Bind(spec.Coordination);
    }

    /// <summary>Binds a <c>"coordination"</c> object.</summary>
    /// <exception cref="ArgumentException">The section is malformed; the message lists every problem.</exception>
    public static CoordinationOptions Bind(JsonObject section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var errors = new List<OptionError>();
        var options = (CoordinationOptions?)OptionsBinder.Bind(typeof(CoordinationOptions), section, errors);
        if (options?.Etcd is { } etcd)
        {
            if (EtcdChannel.Check(etcd.Endpoints, out _) is { } problem)
            {
                errors.Add(new OptionError(problem.Key, problem.Message));
            }

            if (etcd.LeaseTtl < EtcdOptions.MinimumLeaseTtl)
            {
                errors.Add(new OptionError("etcd.leaseTtl", $"must be at least {EtcdOptions.MinimumLeaseTtl.TotalSeconds:F0}s (etcd grants leases of 2s at least, and needs about 1s to end an expired one), got {etcd.LeaseTtl.TotalSeconds:0.###}s"));
            }
        }

        if (options is not null && options.Redis is { Connection.Length: 0 })
        {
            errors.Add(new OptionError("redis.connection", "must be a Redis address such as \"127.0.0.1:6379\""));
        }

        return errors.Count == 0 && options is not null
            ? options
            : throw new ArgumentException("'coordination': " + string.Join("; ", errors.Select(e => $"'{e.Key}' {e.Message}")), nameof(section));
    }
}
