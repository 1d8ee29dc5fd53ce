namespace OtlpFlow.Engine.Pipeline;

/// <summary>
/// The pipeline-wide memory budget (guarantee 7). Sources reserve a batch's size before sending it
/// and the reservation is returned when the batch's acknowledgement settles. Receivers use
/// <see cref="TryReserve"/> and refuse the client when it fails; generators wait in
/// <see cref="ReserveAsync"/>.
/// </summary>
/// <remarks>
/// A budget with a limit and <see cref="MemoryGuardOptions"/> also guards the process's real memory:
/// a timer reads the managed heap and the working set (the data path only reads a cached flag),
/// refuses reservations while the heap is past the soft limit, and forces a collection, rate-limited,
/// when memory does not fall by itself. See <see cref="MemoryGuardOptions"/> for the limits.
/// </remarks>
public sealed class MemoryBudget : IDisposable
{
    private readonly Lock _lock = new();
    private readonly MemoryGuardOptions? _guard;
    private readonly ITimer? _timer;
    private readonly long _heapLimit;
    private readonly long _heapSoftLimit;
    private readonly long _workingSetLimit;
    private long _inFlight;
    private long _peak;
    private long _refused;
    private long _forcedCollections;
    private long _lastCollection = long.MinValue;
    private int _checking;
    private volatile bool _refusing;
    private MemoryReading _reading;
    private TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates a budget that counts reserved bytes only; 0 bytes means no limit.</summary>
    public MemoryBudget(long limitBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limitBytes);
        LimitBytes = limitBytes;
    }

    /// <summary>
    /// Creates a budget that also guards the process's real memory as <paramref name="guard"/> says,
    /// when <paramref name="limitBytes"/> is more than 0 (0 means no limit and no guard).
    /// Dispose it to stop the guard's timer.
    /// </summary>
    public MemoryBudget(long limitBytes, MemoryGuardOptions guard)
        : this(limitBytes)
    {
        ArgumentNullException.ThrowIfNull(guard);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(guard.CheckInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(guard.HeapLimitFactor, 0);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(guard.SoftLimitRatio, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(guard.SoftLimitRatio, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(guard.MinimumHeadroomBytes);
        if (limitBytes == 0)
        {
            return;
        }

        _guard = guard;
        _reading = guard.Probe.Read();

        // What the process holds before any data (runtime, code, caches) is its base; the data may
        // add the headroom on top of it.
        var headroom = Math.Max((long)(limitBytes * guard.HeapLimitFactor), guard.MinimumHeadroomBytes);
        _heapLimit = _reading.HeapBytes + headroom;
        _heapSoftLimit = _reading.HeapBytes + (long)(headroom * guard.SoftLimitRatio);

        // The working set also grows by what is not data (threads, code, native buffers) and falls
        // only when a collection returns memory: a wider margin, as a last resort.
        _workingSetLimit = _reading.WorkingSetBytes + (2 * headroom);
        _timer = guard.TimeProvider.CreateTimer(static state => ((MemoryBudget)state!).Check(), this, guard.CheckInterval, guard.CheckInterval);
    }

    /// <summary>The limit in bytes; 0 means none.</summary>
    public long LimitBytes { get; }

    /// <summary>Bytes reserved now.</summary>
    public long InFlightBytes => Interlocked.Read(ref _inFlight);

    /// <summary>The most bytes ever reserved at once.</summary>
    public long PeakBytes => Interlocked.Read(ref _peak);

    /// <summary>True when the process's real memory is guarded (a limit and guard options were given).</summary>
    public bool IsGuarded => _guard is not null;

    /// <summary>The guard's latest reading of the process; all zero when the memory is not guarded.</summary>
    public MemoryReading LastReading
    {
        get
        {
            lock (_lock)
            {
                return _reading;
            }
        }
    }

    /// <summary>The managed heap size past which the guard refuses reservations; 0 when not guarded.</summary>
    public long HeapSoftLimitBytes => _heapSoftLimit;

    /// <summary>The managed heap size past which the guard forces a collection at once; 0 when not guarded.</summary>
    public long HeapLimitBytes => _heapLimit;

    /// <summary>True while the guard refuses reservations because the heap is past its soft limit.</summary>
    public bool IsRefusing => _refusing;

    /// <summary>How many times <see cref="TryReserve"/> refused, for the budget or for the guard.</summary>
    public long RefusedReservations => Interlocked.Read(ref _refused);

    /// <summary>How many full collections the guard forced.</summary>
    public long ForcedCollections => Interlocked.Read(ref _forcedCollections);

    /// <summary>
    /// Reserves <paramref name="bytes"/> if they fit and the guard is not refusing. A request larger
    /// than the whole budget, or one made while the guard refuses, fits only when nothing else is in
    /// flight, so that neither can wedge the pipeline.
    /// </summary>
    public bool TryReserve(long bytes)
    {
        lock (_lock)
        {
            if (!Fits(bytes))
            {
                _refused++;
                return false;
            }

            _inFlight += bytes;
            _peak = Math.Max(_peak, _inFlight);
            return true;
        }
    }

    /// <summary>Waits until <paramref name="bytes"/> fit and the guard is not refusing, then reserves them.</summary>
    public async ValueTask ReserveAsync(long bytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task released;
            lock (_lock)
            {
                if (Fits(bytes))
                {
                    _inFlight += bytes;
                    _peak = Math.Max(_peak, _inFlight);
                    return;
                }

                released = _released.Task;
            }

            await released.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Returns a reservation.</summary>
    public void Release(long bytes)
    {
        TaskCompletionSource toSignal;
        lock (_lock)
        {
            _inFlight -= bytes;
            toSignal = _released;
            _released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        toSignal.TrySetResult();
    }

    /// <summary>Stops the guard's timer.</summary>
    public void Dispose() => _timer?.Dispose();

    // Under _lock.
    private bool Fits(long bytes) =>
        LimitBytes == 0 || _inFlight == 0 || (!_refusing && _inFlight + bytes <= LimitBytes);

    /// <summary>The guard's periodic check: read, decide whether to refuse, collect when memory does not fall by itself.</summary>
    private void Check()
    {
        // A forced collection can outlast the interval: never run two checks at once.
        if (Interlocked.Exchange(ref _checking, 1) != 0)
        {
            return;
        }

        try
        {
            var guard = _guard!;
            var reading = guard.Probe.Read();
            var overHard = reading.HeapBytes >= _heapLimit || reading.WorkingSetBytes >= _workingSetLimit;
            var overSoft = reading.HeapBytes >= _heapSoftLimit;

            // Refused clients stop allocating, and without allocations the runtime collects nothing:
            // while past the soft limit, collect so that the reading says what is really held.
            var now = guard.TimeProvider.GetTimestamp();
            if ((overSoft || overHard)
                && (_lastCollection == long.MinValue || guard.TimeProvider.GetElapsedTime(_lastCollection, now) >= guard.MinCollectionInterval))
            {
                _lastCollection = now;
                guard.Probe.Collect(aggressive: overHard);
                Interlocked.Increment(ref _forcedCollections);
                reading = guard.Probe.Read();
                overSoft = reading.HeapBytes >= _heapSoftLimit;
            }

            TaskCompletionSource? toSignal = null;
            lock (_lock)
            {
                _reading = reading;
                if (_refusing && !overSoft)
                {
                    // Generators waiting in ReserveAsync may go on.
                    toSignal = _released;
                    _released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                _refusing = overSoft;
            }

            toSignal?.TrySetResult();
        }
        finally
        {
            Volatile.Write(ref _checking, 0);
        }
    }
}
