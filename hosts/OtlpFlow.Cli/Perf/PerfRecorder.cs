namespace OtlpFlow.Cli.Perf;

/// <summary>
/// What the probes of one perf run share: the measurement window, the end-to-end latency of batches
/// stamped inside it, their bytes, and the gate that holds the sources back once it has closed.
/// Given to the probes as a service.
/// </summary>
internal sealed class PerfRecorder(TimeProvider time) : IServiceProvider
{
    /// <summary>The drop reason of batches made after the window, which a probe refuses once the run stops.</summary>
    public const string AfterWindowReason = "afterMeasurement";

    private readonly IServiceProvider? _inner;
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _quiet = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _windowStartTicks = long.MaxValue;
    private long _windowEndTicks = long.MaxValue;
    private long _bytes;
    private long _batches;
    private long _outstanding;
    private int _closed;
    private int _probes;
    private int _probesPastWindow;

    /// <summary>Creates a recorder that also serves what <paramref name="inner"/> serves.</summary>
    public PerfRecorder(TimeProvider time, IServiceProvider? inner)
        : this(time) => _inner = inner;

    /// <summary>Latency from the generator's stamp to the settling of every part of the batch.</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Bytes of batches stamped inside the window.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Batches stamped inside the window.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Completes when the run stops: probes then refuse what was made after the window instead of holding it.</summary>
    public Task Released => _released.Task;

    /// <summary>Opens the window: batches stamped from now on are measured.</summary>
    public void Open(DateTimeOffset start) => Interlocked.Exchange(ref _windowStartTicks, start.UtcTicks);

    /// <summary>Closes the window: batches stamped from now on are held back by the probes until <see cref="Release"/>.</summary>
    public void Close(DateTimeOffset end)
    {
        Interlocked.Exchange(ref _windowEndTicks, end.UtcTicks);
        Volatile.Write(ref _closed, 1);
        CheckSettled();
    }

    /// <summary>Counts a probe; called by each probe as it is made.</summary>
    public void AddProbe() => Interlocked.Increment(ref _probes);

    /// <summary>
    /// Called once by each probe with its first batch made after the window: a probe handles batches
    /// in order, so every batch of the window has passed it by then.
    /// </summary>
    public void ProbePastWindow()
    {
        Interlocked.Increment(ref _probesPastWindow);
        CheckSettled();
    }

    /// <summary>
    /// Waits until every batch of the window has passed its probe and settled (or
    /// <paramref name="timeout"/> passes), so that the run stops with nothing measured still in flight.
    /// </summary>
    public async Task WaitForWindowToSettleAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _quiet.Task.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The stop's own drain deals with what is left.
        }
    }

    /// <summary>Lets the probes go on: the run is stopping.</summary>
    public void Release() => _released.TrySetResult();

    /// <summary>Where a batch stamped at <paramref name="stamp"/> falls: -1 before the window, 0 inside, 1 after.</summary>
    public int Place(DateTimeOffset stamp) =>
        stamp.UtcTicks < Interlocked.Read(ref _windowStartTicks) ? -1
        : stamp.UtcTicks < Interlocked.Read(ref _windowEndTicks) ? 0
        : 1;

    /// <summary>Starts watching a batch of the window; returns the callback that ends its latency.</summary>
    public Action Watch(DateTimeOffset stamp, long bytes)
    {
        Interlocked.Add(ref _bytes, bytes);
        Interlocked.Increment(ref _batches);
        Interlocked.Increment(ref _outstanding);
        return () =>
        {
            Latency.Record(time.GetUtcNow() - stamp);
            if (Interlocked.Decrement(ref _outstanding) == 0)
            {
                CheckSettled();
            }
        };
    }

    private void CheckSettled()
    {
        if (Volatile.Read(ref _closed) != 0
            && Interlocked.Read(ref _outstanding) == 0
            && Volatile.Read(ref _probesPastWindow) >= Volatile.Read(ref _probes))
        {
            _quiet.TrySetResult();
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType) => serviceType == typeof(PerfRecorder) ? this : _inner?.GetService(serviceType);
}
