using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// The base of operators that gather batches per signal and tenant and send them when they are
/// full or their oldest data has waited long enough (<c>batch</c>, <c>arrow.batch</c>): a tick
/// requested for the earliest due buffer sends what is due, and a drain sends everything. The
/// engine runs calls and ticks one at a time, so the buffers need no lock. Derived operators say
/// what full means and how to send.
/// </summary>
public abstract class GatheringOperator : ProcessorOperator
{
    private readonly Dictionary<(Signal Signal, string? Tenant), GatheredBatches> _pending = [];

    /// <summary>Creates the operator.</summary>
    protected GatheringOperator(OperatorContext context) : base(context)
    {
    }

    /// <summary>How long the oldest data of a buffer may wait before it is sent.</summary>
    protected abstract TimeSpan MaxWait { get; }

    /// <summary>What a batch adds to <see cref="GatheredBatches.Weight"/>.</summary>
    protected abstract long WeightOf(TelemetryBatch batch);

    /// <summary>Whether a buffer is to be sent now, without waiting for its due time.</summary>
    protected abstract bool IsFull(GatheredBatches gathered);

    /// <summary>Sends a buffer; <paramref name="onTime"/> when its due time (or the drain) sends it rather than its size.</summary>
    protected abstract ValueTask SendAsync(GatheredBatches gathered, IOperatorOutput output, bool onTime, CancellationToken cancellationToken);

    /// <inheritdoc />
    public sealed override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        var key = (batch.Signal, batch.Context.Tenant);
        if (!_pending.TryGetValue(key, out var gathered))
        {
            gathered = new GatheredBatches(batch.Signal, batch.Context, Context.TimeProvider.GetUtcNow() + MaxWait);
            _pending[key] = gathered;
            RequestTick(MaxWait);
        }

        gathered.Add(batch, WeightOf(batch));
        if (IsFull(gathered))
        {
            _pending.Remove(key);
            await SendAsync(gathered, output, onTime: false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public sealed override async ValueTask TickAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        var now = Context.TimeProvider.GetUtcNow();
        await SendDueAsync(now, output, cancellationToken).ConfigureAwait(false);
        if (_pending.Count > 0)
        {
            RequestTick(_pending.Values.Min(p => p.Due) - now);
        }
    }

    /// <inheritdoc />
    public override ValueTask FlushAsync(IOperatorOutput output, CancellationToken cancellationToken) =>
        new(SendDueAsync(DateTimeOffset.MaxValue, output, cancellationToken));

    private async Task SendDueAsync(DateTimeOffset now, IOperatorOutput output, CancellationToken cancellationToken)
    {
        foreach (var (key, gathered) in _pending.Where(p => p.Value.Due <= now).ToList())
        {
            _pending.Remove(key);
            await SendAsync(gathered, output, onTime: true, cancellationToken).ConfigureAwait(false);
        }
    }
}
