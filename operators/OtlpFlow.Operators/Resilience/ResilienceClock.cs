namespace OtlpFlow.Operators.Resilience;

/// <summary>
/// The clock of the breaker, the retry budget and the retry executor. With the system clock it
/// reads <see cref="Environment.TickCount64"/>: millisecond precision is plenty for windows and
/// breaks measured in seconds, and a precise timestamp can cost more than the whole bookkeeping of a
/// call on some virtual machines. Any other <see cref="TimeProvider"/> (a test's fake) is used as is.
/// </summary>
internal sealed class ResilienceClock
{
    private readonly bool _coarse;

    public ResilienceClock(TimeProvider? timeProvider)
    {
        Provider = timeProvider ?? TimeProvider.System;
        _coarse = ReferenceEquals(Provider, TimeProvider.System);
        Frequency = _coarse ? 1000 : Provider.TimestampFrequency;
    }

    /// <summary>The time provider behind this clock (for delays and wall-clock times).</summary>
    public TimeProvider Provider { get; }

    /// <summary>Units of <see cref="Now"/> per second.</summary>
    public long Frequency { get; }

    /// <summary>A monotonic timestamp in units of <see cref="Frequency"/>.</summary>
    public long Now() => _coarse ? Environment.TickCount64 : Provider.GetTimestamp();

    /// <summary>A span in units of <see cref="Frequency"/>.</summary>
    public long ToUnits(TimeSpan span) => (long)(span.TotalSeconds * Frequency);

    /// <summary>The time from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public TimeSpan Between(long from, long to) => TimeSpan.FromSeconds((double)(to - from) / Frequency);

    /// <summary>The time since <paramref name="from"/>.</summary>
    public TimeSpan Since(long from) => Between(from, Now());
}
