using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// <c>flow.shaper</c>: smooths bursts to a target rate by delaying, never dropping. Each batch is
/// given its turn on a leaky-bucket schedule and retained until then while the input keeps flowing;
/// a tick sends it when its turn comes. Once the held data reaches <c>maxDelay</c> worth, the
/// shaper takes no more input until the schedule catches up, so backpressure reaches upstream.
/// </summary>
[Operator("flow.shaper", Options = typeof(ShaperOptions), Description = "Smooths bursts to a target rate by delaying (never dropping), with backpressure past a delay budget.",
    Example = """{ "rate": 10000, "maxDelay": "500ms" }""")]
public sealed class ShaperOperator : ProcessorOperator
{
    private readonly ShaperOptions _options;
    private readonly LeakyBucketLimiter _schedule;
    private readonly Queue<(TelemetryBatch Batch, long Due)> _held = new();
    private int _heldCount;

    /// <summary>Creates the operator.</summary>
    public ShaperOperator(ShaperOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _schedule = new LeakyBucketLimiter(options.Rate, Math.Max(1e-6, options.Rate * options.MaxDelay.TotalSeconds), context.TimeProvider);
    }

    /// <summary>Batches held for their turn.</summary>
    public int HeldBatches => Volatile.Read(ref _heldCount);

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

        var time = Context.TimeProvider;
        var now = time.GetTimestamp();
        TimeSpan delay;
        while (!_schedule.TryAcquire(weight, out delay))
        {
            // The delay budget is used up: hold the input (backpressure) until there is room, and
            // meanwhile send what is due, before and after the wait, since no tick runs during this call.
            await SendDueAsync(output, cancellationToken).ConfigureAwait(false);
            await FlowDelay.WaitAsync(delay, time, cancellationToken).ConfigureAwait(false);
            await SendDueAsync(output, cancellationToken).ConfigureAwait(false);
            now = time.GetTimestamp();
        }

        _held.Enqueue((batch.Retain(), now + (long)(delay.TotalSeconds * time.TimestampFrequency)));
        Interlocked.Increment(ref _heldCount);
        RequestTick(delay);
    }

    /// <inheritdoc />
    public override async ValueTask TickAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        await SendDueAsync(output, cancellationToken).ConfigureAwait(false);
        if (_held.TryPeek(out var next))
        {
            RequestTick(Context.TimeProvider.GetElapsedTime(Context.TimeProvider.GetTimestamp(), next.Due));
        }
    }

    /// <inheritdoc />
    public override async ValueTask FlushAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var time = Context.TimeProvider;
        while (_held.TryDequeue(out var next))
        {
            Interlocked.Decrement(ref _heldCount);
            await FlowDelay.WaitAsync(time.GetElapsedTime(time.GetTimestamp(), next.Due), time, cancellationToken).ConfigureAwait(false);
            await output.EmitAsync(next.Batch, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask SendDueAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        var now = Context.TimeProvider.GetTimestamp();
        while (_held.TryPeek(out var next) && next.Due <= now)
        {
            _held.Dequeue();
            Interlocked.Decrement(ref _heldCount);
            await output.EmitAsync(next.Batch, cancellationToken).ConfigureAwait(false);
        }
    }
}
