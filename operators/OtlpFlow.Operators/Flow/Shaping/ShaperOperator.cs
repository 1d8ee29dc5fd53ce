using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// <c>flow.shaper</c>: smooths bursts to a target rate by delaying, never dropping. Each batch is
/// given its turn on a leaky-bucket schedule and held until then while the input keeps flowing;
/// once the held data reaches <c>maxDelay</c> worth, the shaper takes no more input until the
/// schedule catches up, so backpressure reaches upstream.
/// </summary>
/// <remarks>
/// A batch's wait for its turn is started by <see cref="ProcessAsync"/> right after the schedule
/// gives the turn, so it is running before the call returns; the pump only awaits it. Were the
/// pump to read the clock and start the wait itself, on its own thread, whoever moves the clock
/// meanwhile (a fake clock advanced once the call returned) could move it between that reading and
/// the start of the wait, and the batch would leave that much after its turn, or never if the clock
/// is not moved again.
/// </remarks>
[Operator("flow.shaper", Options = typeof(ShaperOptions), Description = "Smooths bursts to a target rate by delaying (never dropping), with backpressure past a delay budget.",
    Example = """{ "rate": 10000, "maxDelay": "500ms" }""")]
public sealed partial class ShaperOperator : ProcessorOperator
{
    private readonly ShaperOptions _options;
    private readonly LeakyBucketLimiter _schedule;
    private readonly Lock _lock = new();
    private readonly Queue<(TelemetryBatch Batch, Task Turn)> _held = new();
    private readonly SemaphoreSlim _signal = new(0);
    private Task _pump = Task.CompletedTask;
    private bool _completing;

    /// <summary>Creates the operator.</summary>
    public ShaperOperator(ShaperOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _schedule = new LeakyBucketLimiter(options.Rate, Math.Max(1e-6, options.Rate * options.MaxDelay.TotalSeconds), context.TimeProvider);
    }

    /// <summary>Batches held for their turn.</summary>
    public int HeldBatches
    {
        get
        {
            lock (_lock)
            {
                return _held.Count;
            }
        }
    }

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _pump = Task.Run(PumpAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var weight = _options.Unit switch
        {
            RateLimitUnit.Bytes => batch.SizeBytes,
            RateLimitUnit.Batches => 1,
            _ => batch.ItemCount,
        };

        TimeSpan delay;
        while (!_schedule.TryAcquire(weight, out delay))
        {
            // The delay budget is used up: hold the input (backpressure) until there is room.
            await FlowDelay.WaitAsync(delay, Context.TimeProvider, cancellationToken).ConfigureAwait(false);
        }

        // The delay counts from the limiter's reading of the clock just now: the wait starts here,
        // before the call returns, not when the pump reaches the batch (see the remarks).
        var turn = FlowDelay.WaitAsync(delay, Context.TimeProvider, CancellationToken.None);
        lock (_lock)
        {
            _held.Enqueue((HeldBatch.Hold(batch), turn));
        }

        _signal.Release();
    }

    /// <inheritdoc />
    public override async ValueTask FlushAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _completing = true;
        }

        _signal.Release();
        await _pump.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        _signal.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private async Task PumpAsync()
    {
        while (true)
        {
            await _signal.WaitAsync().ConfigureAwait(false);
            (TelemetryBatch Batch, Task Turn) next;
            lock (_lock)
            {
                if (!_held.TryPeek(out next))
                {
                    if (_completing)
                    {
                        return;
                    }

                    continue;
                }
            }

            try
            {
                await next.Turn.ConfigureAwait(false);
                lock (_lock)
                {
                    _held.Dequeue();
                }

                await Output.EmitAsync(next.Batch, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Downstream refused (the pipeline is aborting): this batch's request must hear so.
                next.Batch.Ack.Fail(next.Batch.ItemCount, ex);
                Output.CountDropped(next.Batch.ItemCount, "error");
                LogEmitFailed(Context.Logger, Context.Id, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': sending a shaped batch failed")]
    private static partial void LogEmitFailed(ILogger logger, string operatorId, Exception exception);
}
