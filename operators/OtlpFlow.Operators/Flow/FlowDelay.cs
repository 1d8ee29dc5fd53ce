namespace OtlpFlow.Operators.Flow;

/// <summary>Waits on an operator's clock.</summary>
internal static class FlowDelay
{
    /// <summary>
    /// Waits at least <paramref name="delay"/>. <see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/>
    /// truncates to whole milliseconds, so a wait of 0.5 ms would return at once and a caller that
    /// retries would spin; rounding up to the next millisecond makes every wait long enough.
    /// </summary>
    public static Task WaitAsync(TimeSpan delay, TimeProvider time, CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero)
        {
            return Task.CompletedTask;
        }

        var rounded = TimeSpan.FromMilliseconds(Math.Ceiling(delay.TotalMilliseconds - 1e-9));
        return Task.Delay(rounded, time, cancellationToken);
    }
}
