using System.Diagnostics.Metrics;
using System.Reactive.Subjects;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OtlpFlow.Operators.Resilience;

/// <summary>
/// A circuit breaker: closed, open, half-open (and isolated by hand). Callers ask for a permit,
/// make the call when it is granted, and report the outcome with the permit. Rejections and
/// outcomes are values: the hot path throws nothing and allocates nothing.
/// </summary>
/// <remarks>
/// Every operation takes one short lock; state changes are published (<see cref="StateChanges"/>),
/// logged and counted after the lock is released, so that an observer may call back into the breaker.
/// Outcomes of calls granted before the last state change are ignored: a slow call started while
/// closed must not close (or reopen) a circuit that has moved on since.
/// </remarks>
public sealed partial class CircuitBreaker : IDisposable
{
    private const int CallsCounter = 0;
    private const int FailuresCounter = 1;
    private const int SlowCounter = 2;

    private readonly CircuitBreakerOptions _options;
    private readonly ResilienceClock _clock;
    private readonly bool _timed; // the sliding window or slow-call detection needs the clock on every outcome
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly SlidingCounts _window;
    private readonly Subject<CircuitStateChange> _changes = new();
    private readonly long _slowTicks;
    private readonly KeyValuePair<string, object?> _tag;
    private readonly Counter<long>? _transitionsCounter;

    private int _stateValue; // a CircuitState, as an int for lock-free reads
    private long _generation;
    private int _consecutiveFailures;
    private long _openUntil;
    private TimeSpan _lastBreak;
    private int _probesIssued;
    private int _probesSucceeded;
    private long _rejected;
    private long _successes;
    private long _failures;

    /// <summary>Creates a closed breaker.</summary>
    /// <param name="options">Detection strategies and break durations; checked here.</param>
    /// <param name="name">The name used in events, logs and the <c>breaker</c> metric tag.</param>
    /// <param name="timeProvider">The clock; the system clock when null.</param>
    /// <param name="logger">Where state changes are logged; nowhere when null.</param>
    /// <param name="meter">Where metrics go (the engine's <c>OtlpFlow</c> meter); none when null.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public CircuitBreaker(CircuitBreakerOptions options, string name = "breaker", TimeProvider? timeProvider = null, ILogger? logger = null, Meter? meter = null)
    {
        _options = OptionsCheck.Valid(options, nameof(options));
        Name = name ?? throw new ArgumentNullException(nameof(name));
        _clock = new ResilienceClock(timeProvider);
        _logger = logger ?? NullLogger.Instance;
        _window = new SlidingCounts(options.SamplingWindow, 10, 3, _clock.Frequency);
        _slowTicks = _clock.ToUnits(options.SlowCallDuration);
        _timed = options.FailureRatio > 0 || options.SlowCallRatio > 0;
        _tag = new("breaker", name);
        if (meter is not null)
        {
            _transitionsCounter = meter.CreateCounter<long>("otlpflow.breaker.transitions", "{transition}", "Circuit breaker state changes, by breaker and new state.");
            meter.CreateObservableGauge("otlpflow.breaker.state", () => new Measurement<int>((int)State, _tag), null, "Circuit breaker state: 0 closed, 1 open, 2 half-open, 3 isolated.");
            meter.CreateObservableCounter("otlpflow.breaker.rejected", () => new Measurement<long>(Rejected, _tag), "{call}", "Calls a circuit breaker rejected.");
            meter.CreateObservableCounter("otlpflow.breaker.failures", () => new Measurement<long>(Interlocked.Read(ref _failures), _tag), "{call}", "Failed calls reported to a circuit breaker.");
        }
    }

    /// <summary>The breaker's name.</summary>
    public string Name { get; }

    /// <summary>The current state. An open circuit whose break has ended reads as half-open.</summary>
    public CircuitState State
    {
        get
        {
            lock (_lock)
            {
                return CurrentState == CircuitState.Open && _clock.Now() >= _openUntil ? CircuitState.HalfOpen : CurrentState;
            }
        }
    }

    /// <summary>Every state change, as it happens (on the thread that caused it).</summary>
    public IObservable<CircuitStateChange> StateChanges => _changes;

    /// <summary>Calls rejected so far.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Successes reported so far (ignored stale ones included).</summary>
    public long Successes => Interlocked.Read(ref _successes);

    /// <summary>Failures reported so far (ignored stale ones included).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Asks to make a call. Never throws; see <see cref="CircuitPermit.IsGranted"/>.</summary>
    public CircuitPermit Acquire()
    {
        // The common cases need no lock: a closed circuit grants, an isolated or still-open one
        // rejects. A permit read across a concurrent transition carries a generation that either
        // predates it (its outcome is ignored) or belongs to the new state as a non-probe (ignored too).
        var generation = Volatile.Read(ref _generation);
        var state = (CircuitState)Volatile.Read(ref _stateValue);
        if (state == CircuitState.Closed)
        {
            // The start time only matters when slow calls are watched.
            return new CircuitPermit(true, false, generation, _options.SlowCallRatio > 0 ? _clock.Now() : 0, TimeSpan.Zero);
        }

        if (state == CircuitState.Isolated)
        {
            Interlocked.Increment(ref _rejected);
            return new CircuitPermit(false, false, generation, 0, TimeSpan.Zero);
        }

        var now = _clock.Now();
        var openUntil = Volatile.Read(ref _openUntil);
        if (state == CircuitState.Open && now < openUntil)
        {
            Interlocked.Increment(ref _rejected);
            return new CircuitPermit(false, false, generation, now, _clock.Between(now, openUntil));
        }

        CircuitStateChange? change = null;
        CircuitPermit permit;
        lock (_lock)
        {
            now = _clock.Now();
            switch (CurrentState)
            {
                case CircuitState.Closed:
                    return new CircuitPermit(true, false, _generation, now, TimeSpan.Zero);
                case CircuitState.Open when now < _openUntil:
                    permit = new CircuitPermit(false, false, _generation, now, _clock.Between(now, _openUntil));
                    break;
                case CircuitState.Open:
                    change = Move(CircuitState.HalfOpen, CircuitTrigger.BreakElapsed, TimeSpan.Zero);
                    _probesIssued = 1;
                    permit = new CircuitPermit(true, true, _generation, now, TimeSpan.Zero);
                    break;
                case CircuitState.HalfOpen when _probesIssued < _options.HalfOpenProbes:
                    _probesIssued++;
                    permit = new CircuitPermit(true, true, _generation, now, TimeSpan.Zero);
                    break;
                default:
                    permit = new CircuitPermit(false, false, _generation, now, TimeSpan.Zero);
                    break;
            }
        }

        if (!permit.IsGranted)
        {
            Interlocked.Increment(ref _rejected);
        }

        Publish(change);
        return permit;
    }

    /// <summary>Asks to make a call; true when granted.</summary>
    public bool TryAcquire(out CircuitPermit permit)
    {
        permit = Acquire();
        return permit.IsGranted;
    }

    /// <summary>Reports that the call made with <paramref name="permit"/> succeeded (it may still count as slow).</summary>
    public void RecordSuccess(in CircuitPermit permit) => Record(permit, success: true);

    /// <summary>Reports that the call made with <paramref name="permit"/> failed.</summary>
    public void RecordFailure(in CircuitPermit permit) => Record(permit, success: false);

    /// <summary>Hands back a permit whose call was never made (cancelled before it started), freeing a probe slot.</summary>
    public void Release(in CircuitPermit permit)
    {
        if (!permit.IsGranted || !permit.IsProbe)
        {
            return;
        }

        lock (_lock)
        {
            if (permit.Generation == _generation && CurrentState == CircuitState.HalfOpen && _probesIssued > 0)
            {
                _probesIssued--;
            }
        }
    }

    /// <summary>Opens the circuit by hand until <see cref="Reset"/>: every call is rejected.</summary>
    public void Isolate()
    {
        CircuitStateChange? change;
        lock (_lock)
        {
            change = CurrentState == CircuitState.Isolated ? null : Move(CircuitState.Isolated, CircuitTrigger.Isolated, TimeSpan.Zero);
        }

        Publish(change);
    }

    /// <summary>Closes the circuit by hand and forgets every outcome seen so far.</summary>
    public void Reset()
    {
        CircuitStateChange? change;
        lock (_lock)
        {
            change = CurrentState == CircuitState.Closed ? null : Move(CircuitState.Closed, CircuitTrigger.Reset, TimeSpan.Zero);
            _lastBreak = TimeSpan.Zero;
        }

        Publish(change);
    }

    /// <summary>Completes <see cref="StateChanges"/>.</summary>
    public void Dispose()
    {
        _changes.OnCompleted();
        _changes.Dispose();
    }

    private CircuitState CurrentState
    {
        get => (CircuitState)_stateValue;
        set => Volatile.Write(ref _stateValue, (int)value);
    }

    private void Record(in CircuitPermit permit, bool success)
    {
        if (!permit.IsGranted)
        {
            return;
        }

        Interlocked.Increment(ref success ? ref _successes : ref _failures);
        CircuitStateChange? change = null;
        lock (_lock)
        {
            if (permit.Generation != _generation)
            {
                return;
            }

            var now = _timed || permit.IsProbe ? _clock.Now() : 0;
            var slow = _options.SlowCallRatio > 0 && now - permit.Started >= _slowTicks;
            if (CurrentState == CircuitState.Closed)
            {
                change = RecordClosed(now, success, slow);
            }
            else if (CurrentState == CircuitState.HalfOpen && permit.IsProbe)
            {
                // A slow probe means the peer is not healthy yet, when slow calls are watched at all.
                if (!success || (slow && _options.SlowCallRatio > 0))
                {
                    change = Open(CircuitTrigger.ProbeFailed, now);
                }
                else if (++_probesSucceeded >= _options.HalfOpenProbes)
                {
                    change = Move(CircuitState.Closed, CircuitTrigger.ProbesSucceeded, TimeSpan.Zero);
                    _lastBreak = TimeSpan.Zero;
                }
            }
        }

        Publish(change);
    }

    private CircuitStateChange? RecordClosed(long now, bool success, bool slow)
    {
        _consecutiveFailures = success ? 0 : _consecutiveFailures + 1;
        if (_options.ConsecutiveFailures > 0 && _consecutiveFailures >= _options.ConsecutiveFailures)
        {
            return Open(CircuitTrigger.ConsecutiveFailures, now);
        }

        if (!_timed)
        {
            return null; // no ratio is watched: no window to keep
        }

        _window.Add(now, CallsCounter);
        if (!success)
        {
            _window.Add(now, FailuresCounter);
        }

        if (slow)
        {
            _window.Add(now, SlowCounter);
        }

        if ((success || _options.FailureRatio == 0) && (!slow || _options.SlowCallRatio == 0))
        {
            return null; // nothing that could raise a ratio
        }

        var calls = _window.Sum(now, CallsCounter);
        if (calls < _options.MinThroughput)
        {
            return null;
        }

        if (_options.FailureRatio > 0 && _window.Sum(now, FailuresCounter) >= _options.FailureRatio * calls)
        {
            return Open(CircuitTrigger.FailureRatio, now);
        }

        if (_options.SlowCallRatio > 0 && _window.Sum(now, SlowCounter) >= _options.SlowCallRatio * calls)
        {
            return Open(CircuitTrigger.SlowCallRatio, now);
        }

        return null;
    }

    private CircuitStateChange Open(CircuitTrigger trigger, long now)
    {
        // The first break lasts breakFor; each one after a failed probe grows by breakGrowth.
        var duration = _lastBreak == TimeSpan.Zero
            ? _options.BreakFor
            : TimeSpan.FromTicks((long)Math.Min(_lastBreak.Ticks * _options.BreakGrowth, Math.Max(_options.MaxBreakFor.Ticks, _options.BreakFor.Ticks)));
        _lastBreak = duration;
        Volatile.Write(ref _openUntil, (now == 0 ? _clock.Now() : now) + _clock.ToUnits(duration));
        return Move(CircuitState.Open, trigger, duration);
    }

    private CircuitStateChange Move(CircuitState to, CircuitTrigger trigger, TimeSpan breakDuration)
    {
        var from = CurrentState;
        // Generation first: a lock-free reader that sees the new state also sees the new generation.
        Volatile.Write(ref _generation, _generation + 1);
        CurrentState = to;
        _consecutiveFailures = 0;
        _probesIssued = 0;
        _probesSucceeded = 0;
        if (to == CircuitState.Closed)
        {
            _window.Clear();
        }

        return new CircuitStateChange(Name, from, to, trigger, _clock.Provider.GetUtcNow(), breakDuration);
    }

    private void Publish(CircuitStateChange? change)
    {
        if (change is null)
        {
            return;
        }

        _transitionsCounter?.Add(1, _tag, new KeyValuePair<string, object?>("state", StateName(change.To)));
        switch (change.To)
        {
            case CircuitState.Open:
                LogOpened(_logger, Name, change.Trigger, change.BreakDuration.TotalSeconds);
                break;
            case CircuitState.Isolated:
                LogIsolated(_logger, Name);
                break;
            default:
                LogChanged(_logger, Name, change.From, change.To, change.Trigger);
                break;
        }

        _changes.OnNext(change);
    }

    private static string StateName(CircuitState state) => state switch
    {
        CircuitState.Closed => "closed",
        CircuitState.Open => "open",
        CircuitState.HalfOpen => "half_open",
        _ => "isolated",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "breaker '{Breaker}': circuit opened ({Trigger}) for {Seconds} s")]
    private static partial void LogOpened(ILogger logger, string breaker, CircuitTrigger trigger, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "breaker '{Breaker}': circuit isolated by hand")]
    private static partial void LogIsolated(ILogger logger, string breaker);

    [LoggerMessage(Level = LogLevel.Information, Message = "breaker '{Breaker}': {From} -> {To} ({Trigger})")]
    private static partial void LogChanged(ILogger logger, string breaker, CircuitState from, CircuitState to, CircuitTrigger trigger);
}
