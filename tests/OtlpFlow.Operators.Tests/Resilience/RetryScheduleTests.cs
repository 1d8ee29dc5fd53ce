using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Operators.Resilience;

namespace OtlpFlow.Operators.Tests.Resilience;

/// <summary>
/// The one retry engine of otlp.exporter, loadbalancing and resilience.failover, seen as the
/// schedule it produces from the default <c>retry</c> options, and its reading of error classes.
/// </summary>
public sealed class RetryScheduleTests
{
    /// <summary>Walks the schedule as a caller does: each wait is added to the elapsed time.</summary>
    private static (List<TimeSpan> Waits, RetryStop Stop) Schedule(RetryOptions options, int seed, Func<int, AttemptOutcome>? outcome = null)
    {
        var executor = new RetryExecutor(options, new FakeTimeProvider(), random: new Random(seed));
        var waits = new List<TimeSpan>();
        var elapsed = TimeSpan.Zero;
        var previous = TimeSpan.Zero;
        for (var attempt = 1; attempt < 1000; attempt++)
        {
            var decision = executor.Decide(attempt, elapsed, outcome?.Invoke(attempt) ?? AttemptOutcome.Retryable(), previous);
            if (!decision.Retry)
            {
                return (waits, decision.Stop);
            }

            waits.Add(decision.Delay);
            elapsed += decision.Delay;
            previous = decision.Delay;
        }

        throw new InvalidOperationException("the schedule never ended");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_default_schedule_grows_jittered_within_half_either_way_is_capped_at_max_and_stops_at_max_elapsed(int seed)
    {
        var options = new RetryOptions();
        var (waits, stop) = Schedule(options, seed);

        Assert.Equal(RetryStop.MaxElapsed, stop);
        for (var i = 0; i < waits.Count; i++)
        {
            var nominal = Math.Min(5 * Math.Pow(2, i), 30);
            Assert.InRange(waits[i].TotalSeconds, nominal * 0.5, Math.Min(nominal * 1.5, 30));
        }

        // The caps bind: late waits are at most max, and the whole schedule ends within maxElapsed.
        Assert.True(waits.Count >= 10, $"{waits.Count} waits");
        Assert.True(waits.Sum(w => w.Ticks) <= options.MaxElapsed.Ticks);
        Assert.True(waits.Sum(w => w.Ticks) + options.Max.Ticks > options.MaxElapsed.Ticks / 2);
        Assert.True(waits.Distinct().Count() > waits.Count / 2, "jitter spreads the waits");
    }

    [Fact]
    public void The_same_seed_gives_the_same_schedule_and_another_seed_another()
    {
        var options = new RetryOptions();

        Assert.Equal(Schedule(options, 7).Waits, Schedule(options, 7).Waits);
        Assert.NotEqual(Schedule(options, 7).Waits, Schedule(options, 8).Waits);
    }

    [Fact]
    public void A_peers_retry_info_delay_replaces_the_backoff_and_still_counts_against_max_elapsed()
    {
        var options = new RetryOptions { MaxElapsed = TimeSpan.FromMinutes(1) };
        var (waits, stop) = Schedule(options, 1, _ => AttemptOutcome.Retryable(TimeSpan.FromSeconds(25)));

        Assert.Equal([TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(25)], waits);
        Assert.Equal(RetryStop.MaxElapsed, stop);
    }

    [Fact]
    public async Task A_permanent_failure_stops_after_one_attempt_and_a_transient_one_is_retried()
    {
        var options = new RetryOptions { MaxAttempts = 3 };
        var executor = new RetryExecutor(options, new FakeTimeProvider());
        var permanent = new PermanentFailureException("order 42 already exists");
        var wrapped = new InvalidOperationException("the sink failed", permanent);
        var transient = new TimeoutException("no answer");

        // The peer's zero wait keeps the transient case off the clock.
        var onPermanent = await executor.ExecuteAsync((error, _) => ValueTask.FromResult(error), wrapped, e => AttemptOutcome.Failure(e, TimeSpan.Zero));
        var onTransient = await executor.ExecuteAsync((error, _) => ValueTask.FromResult(error), transient, e => AttemptOutcome.Failure(e, TimeSpan.Zero));

        Assert.Equal((1, RetryStop.NotRetryable), (onPermanent.Attempts, onPermanent.Stop));
        Assert.Equal((3, RetryStop.MaxAttempts), (onTransient.Attempts, onTransient.Stop));
    }
}
