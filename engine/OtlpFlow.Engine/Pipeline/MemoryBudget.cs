namespace OtlpFlow.Engine.Pipeline;

/// <summary>
/// The pipeline-wide budget of bytes in flight (guarantee 7). Sources reserve a batch's size before
/// sending it and the reservation is returned when the batch's acknowledgement settles. Receivers
/// use <see cref="TryReserve"/> and refuse the client when it fails; generators wait.
/// </summary>
public sealed class MemoryBudget
{
    private readonly Lock _lock = new();
    private long _inFlight;
    private long _peak;
    private TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates a budget; 0 bytes means no limit.</summary>
    public MemoryBudget(long limitBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limitBytes);
        LimitBytes = limitBytes;
    }

    /// <summary>The limit in bytes; 0 means none.</summary>
    public long LimitBytes { get; }

    /// <summary>Bytes reserved now.</summary>
    public long InFlightBytes => Interlocked.Read(ref _inFlight);

    /// <summary>The most bytes ever reserved at once.</summary>
    public long PeakBytes => Interlocked.Read(ref _peak);

    /// <summary>
    /// Reserves <paramref name="bytes"/> if they fit. A request larger than the whole budget fits only
    /// when nothing else is in flight, so that one large request can never wedge the pipeline.
    /// </summary>
    public bool TryReserve(long bytes)
    {
        lock (_lock)
        {
            if (LimitBytes > 0 && _inFlight > 0 && _inFlight + bytes > LimitBytes)
            {
                return false;
            }

            _inFlight += bytes;
            _peak = Math.Max(_peak, _inFlight);
            return true;
        }
    }

    /// <summary>Waits until <paramref name="bytes"/> fit, then reserves them.</summary>
    public async ValueTask ReserveAsync(long bytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task released;
            lock (_lock)
            {
                if (LimitBytes == 0 || _inFlight == 0 || _inFlight + bytes <= LimitBytes)
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
}
