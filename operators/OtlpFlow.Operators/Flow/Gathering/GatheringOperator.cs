using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// The base of operators that gather batches per signal and tenant and send them when they are
/// full or their oldest data has waited long enough (<c>batch</c>, <c>arrow.batch</c>): one lock
/// around the buffers, one timer for the earliest due buffer (a single timer run at a time), and
/// a drain that sends everything. Derived operators say what full means and how to send.
/// </summary>
public abstract partial class GatheringOperator : ProcessorOperator
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(Signal Signal, string? Tenant), GatheredBatches> _pending = [];
    private readonly ITimer _timer;
    private Task _timerRun = Task.CompletedTask;

    /// <summary>Creates the operator and its (stopped) timer.</summary>
    protected GatheringOperator(OperatorContext context) : base(context) =>
        _timer = context.TimeProvider.CreateTimer(_ => OnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

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
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var key = (batch.Signal, batch.Context.Tenant);
            if (!_pending.TryGetValue(key, out var gathered))
            {
                gathered = new GatheredBatches(batch.Signal, batch.Context, Context.TimeProvider.GetUtcNow() + MaxWait);
                _pending[key] = gathered;
                ArmTimer();
            }

            gathered.Add(batch, WeightOf(batch));
            if (IsFull(gathered))
            {
                _pending.Remove(key);
                await SendAsync(gathered, output, onTime: false, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public override async ValueTask FlushAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        await _timerRun.ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SendDueAsync(DateTimeOffset.MaxValue, output, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void ArmTimer()
    {
        var wait = _pending.Values.Min(p => p.Due) - Context.TimeProvider.GetUtcNow();
        _timer.Change(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    // One timer run at a time; the next is armed when this one has sent what was due.
    private void OnTimer() =>
        _timerRun = _timerRun.ContinueWith(_ => RunTimerAsync(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();

    private async Task RunTimerAsync()
    {
        try
        {
            await _gate.WaitAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        try
        {
            await SendDueAsync(Context.TimeProvider.GetUtcNow(), Output, CancellationToken.None).ConfigureAwait(false);
            if (_pending.Count > 0)
            {
                ArmTimer();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The failed shares were failed where the send failed; the operator goes on.
            LogTimerSendFailed(Context.Logger, Context.Id, ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task SendDueAsync(DateTimeOffset now, IOperatorOutput output, CancellationToken cancellationToken)
    {
        foreach (var (key, gathered) in _pending.Where(p => p.Value.Due <= now).ToList())
        {
            _pending.Remove(key);
            await SendAsync(gathered, output, onTime: true, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': sending gathered batches on their due time failed")]
    private static partial void LogTimerSendFailed(ILogger logger, string operatorId, Exception exception);
}
