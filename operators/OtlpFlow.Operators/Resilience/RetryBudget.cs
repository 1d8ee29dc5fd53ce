namespace OtlpFlow.Operators.Resilience;

/// <summary>
/// Limits retries to a share of recent requests plus a floor per second, over a sliding window.
/// Share one budget among every caller of the same peer. Thread-safe; no allocation per call.
/// </summary>
internal sealed class RetryBudget
{
    private const int RequestsCounter = 0;
    private const int RetriesCounter = 1;

    private readonly RetryBudgetOptions _options;
    private readonly ResilienceClock _clock;
    private readonly SlidingCounts _window;
    private readonly double _floor;
    private readonly Lock _lock = new();
    private long _rejected;

    /// <summary>Creates a full budget.</summary>
    /// <param name="options">The ratio, floor and window; checked here.</param>
    /// <param name="timeProvider">The clock; the system clock when null.</param>
    public RetryBudget(RetryBudgetOptions options, TimeProvider? timeProvider = null)
    {
        _options = OptionsCheck.Valid(options, nameof(options));
        _clock = new ResilienceClock(timeProvider);
        _window = new SlidingCounts(options.Window, 10, 2, _clock.Frequency);
        _floor = options.MinPerSecond * options.Window.TotalSeconds;
    }

    /// <summary>Retries refused so far.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Retries available now.</summary>
    public double Available
    {
        get
        {
            lock (_lock)
            {
                return Balance(_clock.Now());
            }
        }
    }

    /// <summary>Counts one first attempt: it earns <c>ratio</c> of a retry.</summary>
    public void RecordRequest()
    {
        lock (_lock)
        {
            _window.Add(_clock.Now(), RequestsCounter);
        }
    }

    /// <summary>Takes one retry from the budget; false (and counted) when none is left.</summary>
    public bool TryAcquireRetry()
    {
        lock (_lock)
        {
            var now = _clock.Now();
            if (Balance(now) >= 1)
            {
                _window.Add(now, RetriesCounter);
                return true;
            }
        }

        Interlocked.Increment(ref _rejected);
        return false;
    }

    private double Balance(long now) =>
        _floor + (_options.Ratio * _window.Sum(now, RequestsCounter)) - _window.Sum(now, RetriesCounter);
}
