using Microsoft.Extensions.DependencyInjection;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Coordination.Redis;
using OtlpFlow.Operators.Flow;
using StackExchange.Redis;

namespace OtlpFlow.Operators.Coordination.Limiting;

/// <summary>
/// <c>flow.distributedLimiter</c>: one rate limit for the whole cluster, kept in Redis (GCRA in a Lua
/// script, one round trip per batch), with a local limit while Redis is unreachable.
/// </summary>
[Operator("flow.distributedLimiter", Options = typeof(DistributedLimiterOptions),
    Description = "Cluster-wide rate limit shared through Redis (GCRA), with a local fallback limit while Redis is unreachable.",
    Example = """{ "rate": 200000, "burst": 20000, "expectedInstances": 4, "redis": "127.0.0.1:6379" }""")]
public sealed class DistributedLimiterOperator : ProcessorOperator
{
    /// <summary>The drop reason counted for refused data.</summary>
    public const string DropReason = "rateLimited";

    private readonly DistributedLimiterOptions _options;
    private IConnectionMultiplexer? _owned;
    private DistributedRateLimiter? _limiter;

    /// <summary>Creates the operator; Redis is contacted when it starts.</summary>
    public DistributedLimiterOperator(DistributedLimiterOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>The limiter (after start).</summary>
    internal DistributedRateLimiter Limiter => _limiter ?? throw new InvalidOperationException("The operator has not started.");

    /// <summary>Connects to Redis (a failed connection is not an error: the local limit applies until it comes).</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        IConnectionMultiplexer? redis;
        if (_options.Redis is { } address)
        {
            redis = _owned = await RedisConnections.ConnectAsync(address, _options.Timeout).ConfigureAwait(false);
        }
        else
        {
            redis = Context.Services.GetService<RedisConnection>()?.Multiplexer
                ?? throw new InvalidOperationException($"operator '{Context.Id}': no Redis to share the limit through; set 'redis' (\"127.0.0.1:6379\") or the pipeline's coordination.redis.connection");
        }

        var burst = _options.Burst > 0 ? _options.Burst : _options.Rate;
        var localRate = _options.LocalRate > 0 ? _options.LocalRate : _options.Rate / _options.ExpectedInstances;
        var local = new TokenBucketLimiter(localRate, Math.Max(1, burst * localRate / _options.Rate), Context.TimeProvider);
        _limiter = new DistributedRateLimiter(redis, _options.Key ?? "otlpflow:limit:" + Context.Id, _options.Rate, burst, local, _options.Timeout, Context.Logger);
    }

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        var weight = _options.Unit switch
        {
            RateLimitUnit.Bytes => batch.SizeBytes,
            RateLimitUnit.Batches => 1,
            _ => batch.ItemCount,
        };

        while (true)
        {
            var decision = await Limiter.TryAcquireAsync(weight, cancellationToken).ConfigureAwait(false);
            if (decision.Acquired)
            {
                await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (_options.OnLimit == RateLimitAction.Drop)
            {
                await output.DropAsync(batch, DropReason, cancellationToken).ConfigureAwait(false);
                return;
            }

            await Task.Delay(decision.RetryAfter, Context.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (_owned is not null)
        {
            await _owned.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }
}
