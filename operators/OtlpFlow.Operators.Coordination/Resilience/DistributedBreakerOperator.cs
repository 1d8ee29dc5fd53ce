using Microsoft.Extensions.DependencyInjection;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Coordination.Redis;
using StackExchange.Redis;

namespace OtlpFlow.Operators.Coordination.Resilience;

/// <summary>
/// <c>resilience.distributedBreaker</c>: a circuit breaker in front of a target (the operators after
/// it), fed by the acknowledgements of the batches it passes: a batch that fails downstream counts as
/// a failed call. Its openings are shared through Redis, so every instance opens together.
/// </summary>
[Operator("resilience.distributedBreaker", Options = typeof(DistributedBreakerOptions),
    Description = "Circuit breaker fed by downstream acknowledgements; openings shared through Redis so instances open together.",
    Example = """{ "breaker": { "failureRatio": 0.5, "breakFor": "30s" }, "redis": "127.0.0.1:6379" }""")]
public sealed class DistributedBreakerOperator : ProcessorOperator
{
    /// <summary>The drop reason counted for batches refused while open.</summary>
    public const string DropReason = "circuitOpen";

    private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(100);

    private readonly DistributedBreakerOptions _options;
    private IConnectionMultiplexer? _owned;
    private DistributedCircuitBreaker? _breaker;

    /// <summary>Creates the operator; Redis is contacted when it starts.</summary>
    public DistributedBreakerOperator(DistributedBreakerOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>The breaker (after start).</summary>
    public DistributedCircuitBreaker Breaker => _breaker ?? throw new InvalidOperationException("The operator has not started.");

    /// <summary>Connects to Redis and joins the shared breaker.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        IConnectionMultiplexer? redis = _options.Redis is { } address
            ? _owned = await RedisConnections.ConnectAsync(address, TimeSpan.FromMilliseconds(250)).ConfigureAwait(false)
            : Context.Services.GetService<RedisConnection>()?.Multiplexer
                ?? throw new InvalidOperationException($"operator '{Context.Id}': no Redis to share the breaker through; set 'redis' (\"127.0.0.1:6379\") or the pipeline's coordination.redis.connection");
        _breaker = new DistributedCircuitBreaker(_options.Breaker, redis, _options.Name ?? "otlpflow:breaker:" + Context.Id, Context.TimeProvider, Context.Logger);
        await _breaker.StartAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        var breaker = Breaker.Local;
        while (true)
        {
            var permit = breaker.Acquire();
            if (permit.IsGranted)
            {
                // Learn the call's outcome from what happens to the batch downstream.
                var followed = batch.Observed(result =>
                {
                    if (result.Succeeded)
                    {
                        breaker.RecordSuccess(permit);
                    }
                    else
                    {
                        breaker.RecordFailure(permit);
                    }
                });
                await output.EmitAsync(followed, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (_options.OnOpen == BreakerOpenAction.Drop)
            {
                await output.DropAsync(batch, DropReason, cancellationToken).ConfigureAwait(false);
                return;
            }

            await Task.Delay(permit.RetryAfter > MinimumWait ? permit.RetryAfter : MinimumWait, Context.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (_breaker is not null)
        {
            await _breaker.DisposeAsync().ConfigureAwait(false);
        }

        if (_owned is not null)
        {
            await _owned.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }
}
