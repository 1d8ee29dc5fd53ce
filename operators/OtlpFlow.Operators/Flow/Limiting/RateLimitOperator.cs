using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// What the rate-limiting operators share: counting in the configured unit, partitioning by key,
/// and the <c>onLimit</c> actions. A derived operator only says which limiter core it uses.
/// </summary>
public abstract class RateLimitOperator : ProcessorOperator
{
    /// <summary>The drop reason counted for refused data.</summary>
    public const string DropReason = "rateLimited";

    private readonly RateLimitOptions _options;
    private readonly FlowKey? _key;
    private readonly Lazy<IPermitLimiter> _single;
    private readonly LimiterPartitions? _partitions;

    /// <summary>Creates the operator.</summary>
    private protected RateLimitOperator(RateLimitOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _key = options.Key is null ? null : FlowKey.Parse(options.Key);
        _single = new Lazy<IPermitLimiter>(CreateLimiter);
        if (_key is not null)
        {
            _partitions = new LimiterPartitions(CreateLimiter, options.MaxPartitions, options.PartitionIdleTimeout, context.TimeProvider);
        }
    }

    /// <summary>Live partitions (0 without a key).</summary>
    public int PartitionCount => _partitions?.Count ?? 0;

    /// <summary>Makes one limiter core (one per partition), on <see cref="OperatorContext.TimeProvider"/>.</summary>
    private protected abstract IPermitLimiter CreateLimiter();

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        if (_key is null)
        {
            await LimitAsync(_single.Value, batch, output, _options.OnLimit, cancellationToken).ConfigureAwait(false);
            return;
        }

        var groups = _key.Split(batch);
        if (groups.Count == 1)
        {
            await LimitAsync(_partitions!.Get(groups[0].Key), batch, output, _options.OnLimit, cancellationToken).ConfigureAwait(false);
            return;
        }

        foreach (var (key, payload) in groups)
        {
            await LimitAsync(_partitions!.Get(key), batch.Derive(payload), output, _options.OnLimit, cancellationToken).ConfigureAwait(false);
        }
    }

    private long Weight(TelemetryBatch batch) => _options.Unit switch
    {
        RateLimitUnit.Bytes => batch.SizeBytes,
        RateLimitUnit.Batches => 1,
        _ => batch.ItemCount,
    };

    private long Weight(Google.Protobuf.IMessage payload) => _options.Unit switch
    {
        RateLimitUnit.Bytes => payload.CalculateSize(),
        RateLimitUnit.Batches => 1,
        _ => payload switch
        {
            OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest t => OtlpItems.Count(t),
            OpenTelemetry.Proto.Collector.Logs.V1.ExportLogsServiceRequest l => OtlpItems.Count(l),
            _ => OtlpItems.Count((OpenTelemetry.Proto.Collector.Metrics.V1.ExportMetricsServiceRequest)payload),
        },
    };

    private async ValueTask LimitAsync(IPermitLimiter limiter, TelemetryBatch batch, IOperatorOutput output, RateLimitAction action, CancellationToken cancellationToken)
    {
        var weight = Weight(batch);
        if (limiter.TryAcquire(weight, out var delay))
        {
            await PassAsync(batch, delay, output, cancellationToken).ConfigureAwait(false);
            return;
        }

        switch (action)
        {
            case RateLimitAction.Drop:
                await output.DropAsync(batch, DropReason, cancellationToken).ConfigureAwait(false);
                return;

            case RateLimitAction.Wait:
                while (true)
                {
                    await FlowDelay.WaitAsync(delay, Context.TimeProvider, cancellationToken).ConfigureAwait(false);
                    if (limiter.TryAcquire(weight, out delay))
                    {
                        await PassAsync(batch, delay, output, cancellationToken).ConfigureAwait(false);
                        return;
                    }
                }

            default:
                await SplitAsync(limiter, batch, output, cancellationToken).ConfigureAwait(false);
                return;
        }
    }

    private async ValueTask SplitAsync(IPermitLimiter limiter, TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        var available = limiter.AvailablePermits;
        if (_options.Unit != RateLimitUnit.Batches && available > 0 && batch.ItemCount > 1)
        {
            var (head, rest) = BatchPieces.Cut(batch.Payload, available, _options.Unit == RateLimitUnit.Bytes);

            // Another caller may have taken the room meanwhile: then the batch goes on whole.
            if (rest is not null && limiter.TryAcquire(Weight(head), out var delay))
            {
                // The whole is split into the pieces, which the engine then treats as consumed.
                var first = batch.Derive(head);
                batch = batch.Derive(rest);
                await PassAsync(first, delay, output, cancellationToken).ConfigureAwait(false);
            }
        }

        if (_options.SplitRemainder == SplitRemainder.Drop)
        {
            await output.DropAsync(batch, DropReason, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await LimitAsync(limiter, batch, output, RateLimitAction.Wait, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask PassAsync(TelemetryBatch batch, TimeSpan delay, IOperatorOutput output, CancellationToken cancellationToken)
    {
        // A queueing limiter (the leaky bucket) admits now but says when the data's turn comes.
        if (delay > TimeSpan.Zero)
        {
            await FlowDelay.WaitAsync(delay, Context.TimeProvider, cancellationToken).ConfigureAwait(false);
        }

        await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
    }
}
