using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// <c>flow.memoryLimiter</c>: like the Collector's memory_limiter, keeps memory from growing by
/// refusing data rather than holding more. Measures the pipeline's bytes in flight (its memory
/// budget) and the process's managed heap. Above a hard limit a batch is refused at once; above a
/// soft limit it waits up to <c>maxWait</c> for memory to come down, then is refused. A refused
/// batch's acknowledgement fails with <see cref="MemoryLimitExceededException"/>, which receivers
/// answer with the OTLP throttling response, so clients retry later.
/// </summary>
[Operator("flow.memoryLimiter", Options = typeof(MemoryLimiterOptions), Description = "Refuses data (throttling upstream) when in-flight or process memory passes soft/hard limits.",
    Example = """{ "softLimit": "384MiB", "hardLimit": "480MiB" }""")]
public sealed class MemoryLimiterOperator : ProcessorOperator
{
    /// <summary>The drop reason counted for refused data.</summary>
    public const string DropReason = "memoryLimit";

    private readonly MemoryLimiterOptions _options;
    private long _lastCollect;

    /// <summary>Creates the operator.</summary>
    public MemoryLimiterOperator(MemoryLimiterOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>The process memory measured against the process limits: the managed heap in bytes.</summary>
    public static long ProcessBytes => GC.GetTotalMemory(forceFullCollection: false);

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        var time = Context.TimeProvider;
        var started = time.GetTimestamp();
        while (true)
        {
            var (level, what) = Measure();
            if (level == Pressure.None)
            {
                await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (level == Pressure.Hard || time.GetElapsedTime(started) >= _options.MaxWait)
            {
                Refuse(batch, output, what, level);
                return;
            }

            await FlowDelay.WaitAsync(_options.CheckInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Refuses the batch: counted by reason, and failed with a transient error carrying the wait its
    /// clients should take. It settles the share itself (rather than throwing) because a refusal under
    /// memory pressure is the operator's job, not an error to log once per batch.
    /// </summary>
    private void Refuse(TelemetryBatch batch, IOperatorOutput output, string what, Pressure level)
    {
        output.CountDropped(batch.ItemCount, DropReason);
        var message = level == Pressure.Hard
            ? $"operator '{Context.Id}': {what} is above its hard limit; data refused, retry later"
            : $"operator '{Context.Id}': {what} stayed above its soft limit for {_options.MaxWait.TotalMilliseconds:0} ms; data refused, retry later";
        batch.Ack.Fail(batch.ItemCount, new MemoryLimitExceededException(message) { RetryAfter = _options.MaxWait > TimeSpan.Zero ? _options.MaxWait : TimeSpan.FromSeconds(1) });
    }

    private (Pressure Level, string What) Measure()
    {
        var inFlight = Context.Memory.InFlightBytes;
        if (_options.HardLimit.Bytes > 0 && inFlight > _options.HardLimit.Bytes)
        {
            return (Pressure.Hard, $"in-flight memory ({inFlight} bytes)");
        }

        var process = _options.ProcessSoftLimit.Bytes > 0 || _options.ProcessHardLimit.Bytes > 0 ? ProcessBytes : 0;
        if (_options.ProcessHardLimit.Bytes > 0 && process > _options.ProcessHardLimit.Bytes)
        {
            CollectIfAsked();
            return (Pressure.Hard, $"process memory ({process} bytes)");
        }

        if (_options.SoftLimit.Bytes > 0 && inFlight > _options.SoftLimit.Bytes)
        {
            return (Pressure.Soft, $"in-flight memory ({inFlight} bytes)");
        }

        if (_options.ProcessSoftLimit.Bytes > 0 && process > _options.ProcessSoftLimit.Bytes)
        {
            return (Pressure.Soft, $"process memory ({process} bytes)");
        }

        return (Pressure.None, string.Empty);
    }

    private void CollectIfAsked()
    {
        if (!_options.CollectOnHardLimit)
        {
            return;
        }

        // One collection per check interval at most, however many batches arrive meanwhile.
        var now = Context.TimeProvider.GetTimestamp();
        var last = Interlocked.Read(ref _lastCollect);
        if (Context.TimeProvider.GetElapsedTime(last, now) >= _options.CheckInterval && Interlocked.CompareExchange(ref _lastCollect, now, last) == last)
        {
            GC.Collect();
        }
    }

    private enum Pressure
    {
        None,
        Soft,
        Hard,
    }
}
