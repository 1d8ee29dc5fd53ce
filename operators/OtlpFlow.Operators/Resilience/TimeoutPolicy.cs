namespace OtlpFlow.Operators.Resilience;

/// <summary>
/// The timeout for the next call: fixed, or adaptive (a quantile of the recent latencies times a
/// multiplier, kept between a floor and a ceiling). Record each call's latency with
/// <see cref="Record"/>; successful calls only, since a timed-out call says nothing of the peer's speed
/// except that it was over the limit. Thread-safe; no allocation per call.
/// </summary>
internal sealed class TimeoutPolicy
{
    // The quantile is recomputed after this many new samples, not on every read: sorting a few
    // hundred numbers per call would cost more than the call it guards.
    private const int RecomputeEvery = 16;

    private readonly TimeoutOptions _options;
    private readonly long[] _samples;
    private readonly long[] _scratch;
    private readonly Lock _lock = new();
    private int _next;
    private int _count;
    private int _sinceRecompute;
    private long _currentTicks;

    /// <summary>Creates the policy.</summary>
    /// <param name="options">The options; checked here.</param>
    public TimeoutPolicy(TimeoutOptions options)
    {
        _options = OptionsCheck.Valid(options, nameof(options));
        _samples = new long[options.Adaptive ? options.Samples : 0];
        _scratch = new long[_samples.Length];
        _currentTicks = options.Duration.Ticks;
    }

    /// <summary>A fixed timeout.</summary>
    public static TimeoutPolicy Fixed(TimeSpan duration) => new(new TimeoutOptions { Duration = duration });

    /// <summary>The timeout to give the next call.</summary>
    public TimeSpan Current => TimeSpan.FromTicks(Volatile.Read(ref _currentTicks));

    /// <summary>True when the timeout follows the observed latency.</summary>
    public bool IsAdaptive => _options.Adaptive;

    /// <summary>Records one call's latency (ignored by a fixed timeout).</summary>
    public void Record(TimeSpan latency)
    {
        if (!_options.Adaptive)
        {
            return;
        }

        lock (_lock)
        {
            _samples[_next] = Math.Max(0, latency.Ticks);
            _next = (_next + 1) % _samples.Length;
            _count = Math.Min(_count + 1, _samples.Length);
            if (++_sinceRecompute < RecomputeEvery && _count != _options.MinSamples)
            {
                return;
            }

            _sinceRecompute = 0;
            if (_count < _options.MinSamples)
            {
                return;
            }

            Array.Copy(_samples, _scratch, _count);
            Array.Sort(_scratch, 0, _count);
            var index = Math.Min(_count - 1, (int)Math.Ceiling(_options.Quantile * _count) - 1);
            var ticks = (long)(_scratch[Math.Max(0, index)] * _options.Multiplier);
            Volatile.Write(ref _currentTicks, Math.Clamp(ticks, _options.Floor.Ticks, _options.Ceiling.Ticks));
        }
    }
}
