namespace OtlpFlow.Operators.Resilience;

/// <summary>Computes the wait before each retry from <see cref="RetryOptions"/>: the backoff, then the jitter, capped at <c>max</c>.</summary>
internal sealed class RetryBackoff
{
    private readonly RetryOptions _options;
    private readonly Random _random;

    /// <summary>Creates the calculator.</summary>
    /// <param name="options">The backoff options; checked here.</param>
    /// <param name="random">The source of jitter; <see cref="Random.Shared"/> when null. An injected
    /// <see cref="Random"/> must not be shared between threads.</param>
    public RetryBackoff(RetryOptions options, Random? random = null)
    {
        _options = OptionsCheck.Valid(options, nameof(options));
        _random = random ?? Random.Shared;
    }

    /// <summary>The wait before retry number <paramref name="retry"/> (1 for the first retry).</summary>
    /// <param name="retry">The retry's number, from 1.</param>
    /// <param name="previous">The previous wait (zero before the first retry); decorrelated jitter grows from it.</param>
    public TimeSpan Delay(int retry, TimeSpan previous)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retry, 1);
        double initial = _options.Initial.Ticks;
        double max = _options.Max.Ticks;
        double ticks = _options.Backoff switch
        {
            BackoffKind.Fixed => initial,
            BackoffKind.Linear => initial * retry,
            BackoffKind.Exponential => initial * Math.Pow(_options.Factor, Math.Min(retry - 1, 1000)),
            _ => initial + (_random.NextDouble() * Math.Max(0, (Math.Max(previous.Ticks, initial) * 3) - initial)),
        };
        ticks = Math.Min(ticks, max);
        if (_options.Backoff != BackoffKind.DecorrelatedJitter)
        {
            ticks = _options.JitterMode switch
            {
                JitterKind.Proportional => ticks * (1 - _options.Jitter + (_random.NextDouble() * 2 * _options.Jitter)),
                JitterKind.Full => ticks * _random.NextDouble(),
                JitterKind.Equal => (ticks / 2) + (ticks / 2 * _random.NextDouble()),
                _ => ticks,
            };
        }

        return TimeSpan.FromTicks((long)Math.Min(ticks, max));
    }
}
