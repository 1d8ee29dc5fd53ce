using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Generator;

/// <summary>
/// The <c>generate</c> source: synthetic traces, metrics or logs with realistic shapes (several
/// services, span trees across them, every attribute value kind, errors, long-tailed latencies),
/// reproducible from a seed. It drives benchmarks and demos. With <see cref="GeneratorOptions.Count"/>
/// it emits exactly that many items and completes; with <see cref="GeneratorOptions.Rate"/> it paces
/// batches on the pipeline clock so that the long-run rate holds without drift.
/// </summary>
[Operator("generate", Options = typeof(GeneratorOptions), Description = "Generates synthetic traces, metrics or logs, reproducibly from a seed.",
    Example = """{ "signal": "traces", "count": 1000, "batchSize": 100 }""")]
public sealed class GeneratorOperator : SourceOperator
{
    // Timestamps advance by this much per item when no rate says otherwise: 10,000 items per virtual second.
    private const ulong DefaultStepNanos = 100_000;

    // Task.Delay refuses longer delays than about 49 days; a very low rate waits in steps of a day.
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(1);

    private readonly Signal _signal;
    private readonly long _count;
    private readonly double _rate;
    private readonly int _batchSize;
    private readonly int _seed;
    private readonly int _services;
    private readonly GeneratorTimestamps _timestamps;

    /// <summary>Creates the source. Nothing is generated until <see cref="RunAsync"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of its range.</exception>
    public GeneratorOperator(GeneratorOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Count, nameof(options.Count));
        ArgumentOutOfRangeException.ThrowIfNegative(options.Rate, nameof(options.Rate));
        if (!double.IsFinite(options.Rate))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Rate, "'rate' must be a finite number of items per second.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize, nameof(options.BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Services, nameof(options.Services));

        // Copied so that a later change to the options object cannot alter a running generator.
        _signal = options.Signal;
        _count = options.Count;
        _rate = options.Rate;
        _batchSize = options.BatchSize;
        _seed = options.Seed;
        _services = options.Services;
        _timestamps = options.Timestamps;
    }

    /// <inheritdoc />
    public override async Task RunAsync(IOperatorOutput output, CancellationToken stopToken)
    {
        ArgumentNullException.ThrowIfNull(output);

        // Leave the caller's thread at once: with an output that never waits, the loop below would
        // otherwise run to the end (or for ever) before RunAsync returned its task.
        await Task.Yield();

        var time = Context.TimeProvider;
        var random = new Random(_seed);
        var stepNanos = _rate > 0 ? (ulong)Math.Max(1, 1e9 / _rate) : DefaultStepNanos;
        var clock = new SyntheticClock(
            _timestamps == GeneratorTimestamps.Now ? SyntheticClock.ToUnixNanos(time.GetUtcNow()) : SyntheticClock.FixedStartNanos,
            stepNanos);
        var services = SyntheticService.CreateAll(_services, random);
        ISignalSynthesizer synthesizer = _signal switch
        {
            Signal.Metrics => new MetricSynthesizer(services, random, clock),
            Signal.Logs => new LogSynthesizer(services, random, clock),
            _ => new TraceSynthesizer(services, random, clock),
        };

        var started = time.GetTimestamp();
        long emitted = 0;
        try
        {
            while (!stopToken.IsCancellationRequested && (_count == 0 || emitted < _count))
            {
                if (_rate > 0)
                {
                    // Batch k is due when the items before it are due, counted from the start: sleeping
                    // late once is made up by the next batch instead of accumulating.
                    await WaitUntilAsync(time, started, TimeSpan.FromSeconds(emitted / _rate), stopToken).ConfigureAwait(false);
                }

                if (_timestamps == GeneratorTimestamps.Now)
                {
                    clock.CatchUp(SyntheticClock.ToUnixNanos(time.GetUtcNow()));
                }

                var size = _count == 0 ? _batchSize : (int)Math.Min(_batchSize, _count - emitted);
                var request = synthesizer.Next(size);
                // The batch is stamped with the time it was made, so that `otlpflow perf` can measure
                // end-to-end latency from the moment data enters the pipeline.
                // Emitted encoded, as a receiver has its requests: a batch waiting on an edge is then a
                // few byte arrays, decoded only by an operator that reads the objects.
                var batch = TelemetryBatch.Encode(_signal, request, size, BatchContext.At(time.GetUtcNow()));
                await output.EmitAsync(batch, stopToken).ConfigureAwait(false);
                emitted += size;
            }
        }
        catch (OperationCanceledException) when (stopToken.IsCancellationRequested)
        {
            // Stopping is the normal end of an unbounded generator.
        }
    }

    private static async Task WaitUntilAsync(TimeProvider time, long started, TimeSpan due, CancellationToken stopToken)
    {
        var wait = due - time.GetElapsedTime(started);
        while (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait < LongestWait ? wait : LongestWait, time, stopToken).ConfigureAwait(false);
            wait = due - time.GetElapsedTime(started);
        }
    }
}
