using Microsoft.Extensions.Time.Testing;

namespace OtlpFlow.Operators.Tests.Generator;

/// <summary>
/// A fake clock that counts the timers created on it, so that a test can tell when the generator
/// is parked waiting for its next batch before it moves time on.
/// </summary>
internal sealed class TimerCountingTimeProvider : FakeTimeProvider
{
    private int _timers;

    public TimerCountingTimeProvider(DateTimeOffset start) : base(start) { }

    public int TimersCreated => Volatile.Read(ref _timers);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        Interlocked.Increment(ref _timers);
        return timer;
    }
}
