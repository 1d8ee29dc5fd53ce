using Microsoft.Extensions.Time.Testing;

namespace OtlpFlow.Operators.Tests.Flow;

/// <summary>
/// A fake clock that remembers the timers created on it, so that a test can tell when an operator
/// is parked on a wait and move time on by exactly that wait.
/// </summary>
internal sealed class SteppingTimeProvider : FakeTimeProvider
{
    private int _timers;
    private long _lastDueTicks;

    public int TimersCreated => Volatile.Read(ref _timers);

    public TimeSpan LastDueTime => TimeSpan.FromTicks(Volatile.Read(ref _lastDueTicks));

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        Volatile.Write(ref _lastDueTicks, dueTime.Ticks);
        Interlocked.Increment(ref _timers);
        return timer;
    }
}
