namespace OtlpFlow.Operators.Routing;

/// <summary>
/// What a router has learned about one target from the acknowledgements of the batches it sent
/// there: batches in flight, a latency average, failures in a row, and whether it is ejected.
/// </summary>
internal sealed class TargetState(string name)
{
    private readonly Lock _lock = new();
    private int _inFlight;
    private long _inFlightItems;
    private double _latencyMs;
    private long _lastSample;
    private bool _hasSample;
    private int _failures;
    private long _ejectedUntil;

    public string Name { get; } = name;

    public int InFlight => Volatile.Read(ref _inFlight);

    public long InFlightItems => Interlocked.Read(ref _inFlightItems);

    private long _sent;

    /// <summary>Batches sent to the target in all.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    public void Begin(int items)
    {
        Interlocked.Increment(ref _inFlight);
        Interlocked.Add(ref _inFlightItems, items);
        Interlocked.Increment(ref _sent);
    }

    /// <summary>Records a settled batch: its latency (peak-sensitive, time-weighted average) and outcome.</summary>
    public void End(int items, long now, TimeSpan latency, bool failed, TimeSpan decay, OutlierEjectionOptions? ejection, TimeProvider time)
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Add(ref _inFlightItems, -items);
        var ms = latency.TotalMilliseconds;
        lock (_lock)
        {
            if (!_hasSample || ms > _latencyMs)
            {
                // A slower answer counts at once, so that a target that slows down loses traffic quickly.
                _latencyMs = ms;
            }
            else
            {
                var weight = Math.Exp(-time.GetElapsedTime(_lastSample, now).TotalMilliseconds / Math.Max(1, decay.TotalMilliseconds));
                _latencyMs = (_latencyMs * weight) + (ms * (1 - weight));
            }

            _hasSample = true;
            _lastSample = now;
            if (!failed)
            {
                _failures = 0;
            }
            else if (ejection is { ConsecutiveFailures: > 0 } && ++_failures >= ejection.ConsecutiveFailures)
            {
                _failures = 0;
                _ejectedUntil = now + (long)(ejection.EjectFor.TotalSeconds * time.TimestampFrequency);
            }
        }
    }

    /// <summary>
    /// The latency average as seen now: it decays towards zero while the target gets no answers,
    /// so that a target once slow is tried again after a while.
    /// </summary>
    public double LatencyMs(long now, TimeSpan decay, TimeProvider time)
    {
        lock (_lock)
        {
            if (!_hasSample)
            {
                return 0;
            }

            if (InFlight > 0)
            {
                return _latencyMs;
            }

            var idle = time.GetElapsedTime(_lastSample, now).TotalMilliseconds;
            return _latencyMs * Math.Exp(-idle / Math.Max(1, decay.TotalMilliseconds));
        }
    }

    public bool IsEjected(long now)
    {
        lock (_lock)
        {
            return _ejectedUntil > now;
        }
    }
}
