using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Operators.Resilience;

namespace OtlpFlow.Operators.Tests.Resilience;

public sealed class RetryTests
{
    private static RetryOptions NoJitter(BackoffKind kind) => new()
    {
        Backoff = kind, Initial = TimeSpan.FromSeconds(1), Max = TimeSpan.FromSeconds(10), JitterMode = JitterKind.None,
    };

    [Theory]
    [InlineData(BackoffKind.Fixed, new[] { 1, 1, 1, 1, 1 })]
    [InlineData(BackoffKind.Linear, new[] { 1, 2, 3, 4, 5 })]
    [InlineData(BackoffKind.Exponential, new[] { 1, 2, 4, 8, 10 })]
    public void Backoff_grows_as_its_kind_says_and_stops_at_max(BackoffKind kind, int[] seconds)
    {
        var backoff = new RetryBackoff(NoJitter(kind));
        var previous = TimeSpan.Zero;
        for (var retry = 1; retry <= seconds.Length; retry++)
        {
            previous = backoff.Delay(retry, previous);
            Assert.Equal(TimeSpan.FromSeconds(seconds[retry - 1]), previous);
        }
    }

    [Fact]
    public void Decorrelated_jitter_stays_between_initial_and_three_times_the_previous_wait_and_under_max()
    {
        var backoff = new RetryBackoff(NoJitter(BackoffKind.DecorrelatedJitter), new Random(7));
        var previous = TimeSpan.Zero;
        var distinct = new HashSet<TimeSpan>();
        for (var retry = 1; retry <= 200; retry++)
        {
            var delay = backoff.Delay(retry, previous);
            Assert.InRange(delay, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(Math.Min(10, Math.Max(1, previous.TotalSeconds) * 3)));
            distinct.Add(delay);
            previous = delay;
        }

        Assert.True(distinct.Count > 100);
    }

    [Theory]
    [InlineData(JitterKind.Full, 0.0, 4.0)]
    [InlineData(JitterKind.Equal, 2.0, 4.0)]
    [InlineData(JitterKind.Proportional, 3.0, 5.0)]
    public void Jitter_spreads_waits_over_its_range(JitterKind jitter, double low, double high)
    {
        var options = NoJitter(BackoffKind.Fixed);
        options.Initial = TimeSpan.FromSeconds(4);
        options.JitterMode = jitter;
        options.Jitter = 0.25;
        var backoff = new RetryBackoff(options, new Random(3));
        var delays = Enumerable.Range(0, 1000).Select(_ => backoff.Delay(1, TimeSpan.Zero).TotalSeconds).ToArray();

        Assert.All(delays, d => Assert.InRange(d, low, high));
        Assert.True(delays.Min() < low + ((high - low) * 0.1) && delays.Max() > high - ((high - low) * 0.1), "the whole range is used");
    }

    [Fact]
    public async Task Retryable_failures_are_retried_with_the_backoff_until_success()
    {
        var time = new Flow.SteppingTimeProvider();
        var executor = new RetryExecutor(NoJitter(BackoffKind.Exponential), time);
        var calls = 0;
        var run = executor.ExecuteAsync(
            (_, _) => ValueTask.FromResult(++calls),
            0,
            n => n < 4 ? AttemptOutcome.Retryable() : AttemptOutcome.Success).AsTask();

        // Each wait is parked on the clock; it must be exactly the backoff, then time moves on by it.
        var waits = new[] { 1, 2, 4 };
        for (var k = 0; k < waits.Length; k++)
        {
            var timers = k + 1;
            await Engine.Testing.Poll.UntilAsync(() => time.TimersCreated == timers, "the executor to wait");
            Assert.Equal(TimeSpan.FromSeconds(waits[k]), time.LastDueTime);
            Assert.Equal(k + 1, calls);
            time.Advance(time.LastDueTime);
        }

        var result = await run;
        Assert.True(result.Succeeded);
        Assert.Equal(4, result.Attempts);
    }

    [Fact]
    public async Task A_permanent_failure_is_not_retried()
    {
        var executor = new RetryExecutor(NoJitter(BackoffKind.Fixed), new FakeTimeProvider());
        var calls = 0;
        var result = await executor.ExecuteAsync((_, _) => ValueTask.FromResult(++calls), 0, _ => AttemptOutcome.Permanent);

        Assert.Equal(1, calls);
        Assert.Equal(RetryStop.NotRetryable, result.Stop);
    }

    [Fact]
    public void Max_attempts_counts_the_first_attempt()
    {
        var options = NoJitter(BackoffKind.Fixed);
        options.MaxAttempts = 3;
        var executor = new RetryExecutor(options, new FakeTimeProvider());

        Assert.True(executor.Decide(2, TimeSpan.Zero, AttemptOutcome.Retryable(), TimeSpan.Zero).Retry);
        Assert.Equal(RetryStop.MaxAttempts, executor.Decide(3, TimeSpan.Zero, AttemptOutcome.Retryable(), TimeSpan.Zero).Stop);
    }

    [Fact]
    public void Max_elapsed_stops_when_the_next_wait_would_pass_it()
    {
        var options = NoJitter(BackoffKind.Fixed);
        options.MaxElapsed = TimeSpan.FromSeconds(10);
        var executor = new RetryExecutor(options, new FakeTimeProvider());

        Assert.True(executor.Decide(5, TimeSpan.FromSeconds(9), AttemptOutcome.Retryable(), TimeSpan.Zero).Retry);
        Assert.Equal(RetryStop.MaxElapsed, executor.Decide(5, TimeSpan.FromSeconds(9.5), AttemptOutcome.Retryable(), TimeSpan.Zero).Stop);
    }

    [Fact]
    public void The_servers_retry_hint_replaces_the_backoff_unless_told_not_to()
    {
        var options = NoJitter(BackoffKind.Fixed);
        var executor = new RetryExecutor(options, new FakeTimeProvider());
        Assert.Equal(TimeSpan.FromSeconds(7), executor.Decide(1, TimeSpan.Zero, AttemptOutcome.Retryable(TimeSpan.FromSeconds(7)), TimeSpan.Zero).Delay);

        options.HonorRetryAfter = false;
        executor = new RetryExecutor(options, new FakeTimeProvider());
        Assert.Equal(TimeSpan.FromSeconds(1), executor.Decide(1, TimeSpan.Zero, AttemptOutcome.Retryable(TimeSpan.FromSeconds(7)), TimeSpan.Zero).Delay);
    }

    [Fact]
    public void Disabled_retries_stop_at_the_first_failure()
    {
        var options = NoJitter(BackoffKind.Fixed);
        options.Enabled = false;
        Assert.Equal(RetryStop.Disabled, new RetryExecutor(options).Decide(1, TimeSpan.Zero, AttemptOutcome.Retryable(), TimeSpan.Zero).Stop);
    }
}
