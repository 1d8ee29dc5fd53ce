namespace OtlpFlow.Operators.Flow;

/// <summary>Seconds since a limiter was created, read from its <see cref="TimeProvider"/> without allocating.</summary>
internal readonly struct LimiterClock
{
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly double _secondsPerTick;

    public LimiterClock(TimeProvider time)
    {
        _time = time;
        _origin = time.GetTimestamp();
        _secondsPerTick = 1.0 / time.TimestampFrequency;
    }

    /// <summary>Timestamp ticks since creation.</summary>
    public long Ticks => _time.GetTimestamp() - _origin;

    /// <summary>Timestamp ticks per second.</summary>
    public long Frequency => _time.TimestampFrequency;

    /// <summary>Seconds since creation.</summary>
    public double Seconds => (_time.GetTimestamp() - _origin) * _secondsPerTick;

    /// <summary>
    /// A wait of <paramref name="seconds"/>, rounded up to whole TimeSpan ticks so that waiting it
    /// suffices. A thousandth of a tick is forgiven first: floating-point noise must not add a tick.
    /// </summary>
    public static TimeSpan Wait(double seconds) =>
        seconds <= 0 ? TimeSpan.Zero
        : seconds >= TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.MaxValue
        : TimeSpan.FromTicks((long)Math.Ceiling((seconds * TimeSpan.TicksPerSecond) - 1e-3));
}
