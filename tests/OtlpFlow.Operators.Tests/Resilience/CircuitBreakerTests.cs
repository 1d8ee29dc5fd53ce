using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Operators.Resilience;

namespace OtlpFlow.Operators.Tests.Resilience;

public sealed class CircuitBreakerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private CircuitBreaker Breaker(Action<CircuitBreakerOptions> configure)
    {
        var options = new CircuitBreakerOptions { FailureRatio = 0, BreakFor = TimeSpan.FromSeconds(10) };
        configure(options);
        return new CircuitBreaker(options, "test", _time);
    }

    private static void Fail(CircuitBreaker breaker, int times = 1)
    {
        for (var i = 0; i < times; i++)
        {
            Assert.True(breaker.TryAcquire(out var permit));
            breaker.RecordFailure(permit);
        }
    }

    private static void Succeed(CircuitBreaker breaker, int times = 1)
    {
        for (var i = 0; i < times; i++)
        {
            Assert.True(breaker.TryAcquire(out var permit));
            breaker.RecordSuccess(permit);
        }
    }

    [Fact]
    public void Consecutive_failures_open_the_circuit_and_a_success_between_them_starts_the_count_again()
    {
        using var breaker = Breaker(o => o.ConsecutiveFailures = 3);
        Fail(breaker, 2);
        Succeed(breaker);
        Fail(breaker, 2);
        Assert.Equal(CircuitState.Closed, breaker.State);

        Fail(breaker);
        Assert.Equal(CircuitState.Open, breaker.State);
    }

    [Fact]
    public void An_open_circuit_rejects_as_a_value_with_the_time_left_until_a_probe()
    {
        using var breaker = Breaker(o => o.ConsecutiveFailures = 1);
        Fail(breaker);
        _time.Advance(TimeSpan.FromSeconds(4));

        var permit = breaker.Acquire();

        Assert.False(permit.IsGranted);
        Assert.Equal(TimeSpan.FromSeconds(6), permit.RetryAfter);
        Assert.Equal(1, breaker.Rejected);
    }

    [Fact]
    public void The_failure_ratio_trips_only_once_the_minimum_throughput_is_reached()
    {
        using var breaker = Breaker(o => { o.FailureRatio = 0.5; o.MinThroughput = 10; o.SamplingWindow = TimeSpan.FromSeconds(10); });
        Fail(breaker, 9);
        Assert.Equal(CircuitState.Closed, breaker.State);

        Fail(breaker);
        Assert.Equal(CircuitState.Open, breaker.State);
    }

    [Fact]
    public void The_failure_ratio_stays_closed_below_the_threshold()
    {
        using var breaker = Breaker(o => { o.FailureRatio = 0.5; o.MinThroughput = 10; });
        for (var i = 0; i < 50; i++)
        {
            Succeed(breaker, 2);
            Fail(breaker);
        }

        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public void Failures_that_slid_out_of_the_window_no_longer_count()
    {
        using var breaker = Breaker(o => { o.FailureRatio = 0.5; o.MinThroughput = 10; o.SamplingWindow = TimeSpan.FromSeconds(10); });
        Fail(breaker, 9);
        _time.Advance(TimeSpan.FromSeconds(11));
        Succeed(breaker, 9);
        Fail(breaker); // 1 failure of 10 in the window

        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public void The_slow_call_ratio_opens_on_successful_but_slow_calls()
    {
        using var breaker = Breaker(o => { o.SlowCallRatio = 0.5; o.SlowCallDuration = TimeSpan.FromSeconds(1); o.MinThroughput = 4; });
        var changes = new List<CircuitStateChange>();
        using var subscription = breaker.StateChanges.Subscribe(changes.Add);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(breaker.TryAcquire(out var permit));
            _time.Advance(TimeSpan.FromSeconds(2));
            breaker.RecordSuccess(permit);
        }

        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.Equal(CircuitTrigger.SlowCallRatio, Assert.Single(changes).Trigger);
    }

    [Fact]
    public void After_the_break_a_probe_is_admitted_and_its_success_closes_the_circuit()
    {
        using var breaker = Breaker(o => o.ConsecutiveFailures = 1);
        var changes = new List<CircuitStateChange>();
        using var subscription = breaker.StateChanges.Subscribe(changes.Add);
        Fail(breaker);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(CircuitState.HalfOpen, breaker.State);

        Assert.True(breaker.TryAcquire(out var probe));
        Assert.True(probe.IsProbe);
        Assert.False(breaker.TryAcquire(out _)); // only one probe at a time
        breaker.RecordSuccess(probe);

        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.Equal(
            [(CircuitState.Closed, CircuitState.Open, CircuitTrigger.ConsecutiveFailures),
             (CircuitState.Open, CircuitState.HalfOpen, CircuitTrigger.BreakElapsed),
             (CircuitState.HalfOpen, CircuitState.Closed, CircuitTrigger.ProbesSucceeded)],
            changes.Select(c => (c.From, c.To, c.Trigger)));
    }

    [Fact]
    public void Half_open_needs_every_probe_to_succeed_before_closing()
    {
        using var breaker = Breaker(o => { o.ConsecutiveFailures = 1; o.HalfOpenProbes = 3; });
        Fail(breaker);
        _time.Advance(TimeSpan.FromSeconds(10));
        var probes = new CircuitPermit[3];
        for (var i = 0; i < 3; i++)
        {
            Assert.True(breaker.TryAcquire(out probes[i]));
        }

        Assert.False(breaker.TryAcquire(out _));
        breaker.RecordSuccess(probes[0]);
        breaker.RecordSuccess(probes[1]);
        Assert.Equal(CircuitState.HalfOpen, breaker.State);
        breaker.RecordSuccess(probes[2]);
        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public void A_failed_probe_reopens_the_circuit_for_a_growing_break_up_to_the_maximum()
    {
        using var breaker = Breaker(o => { o.ConsecutiveFailures = 1; o.BreakGrowth = 2; o.MaxBreakFor = TimeSpan.FromSeconds(30); });
        var changes = new List<CircuitStateChange>();
        using var subscription = breaker.StateChanges.Subscribe(changes.Add);
        Fail(breaker);
        foreach (var expected in new[] { 20, 30, 30 })
        {
            _time.Advance(changes[^1].BreakDuration);
            Fail(breaker); // the probe
            Assert.Equal(CircuitTrigger.ProbeFailed, changes[^1].Trigger);
            Assert.Equal(TimeSpan.FromSeconds(expected), changes[^1].BreakDuration);
        }

        // Closing resets the growth.
        _time.Advance(changes[^1].BreakDuration);
        Succeed(breaker);
        Fail(breaker);
        Assert.Equal(TimeSpan.FromSeconds(10), changes[^1].BreakDuration);
    }

    [Fact]
    public void A_slow_probe_counts_as_failed_when_slow_calls_are_watched()
    {
        using var breaker = Breaker(o => { o.ConsecutiveFailures = 1; o.SlowCallRatio = 0.9; o.SlowCallDuration = TimeSpan.FromSeconds(1); });
        Fail(breaker);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(breaker.TryAcquire(out var probe));
        _time.Advance(TimeSpan.FromSeconds(2));
        breaker.RecordSuccess(probe);

        Assert.Equal(CircuitState.Open, breaker.State);
    }

    [Fact]
    public void A_released_probe_frees_its_slot()
    {
        using var breaker = Breaker(o => o.ConsecutiveFailures = 1);
        Fail(breaker);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(breaker.TryAcquire(out var probe));
        breaker.Release(probe);

        Assert.True(breaker.TryAcquire(out var next));
        Assert.True(next.IsProbe);
    }

    [Fact]
    public void Outcomes_of_calls_granted_before_a_state_change_are_ignored()
    {
        using var breaker = Breaker(o => o.ConsecutiveFailures = 2);
        Assert.True(breaker.TryAcquire(out var early));
        Fail(breaker, 2);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(breaker.TryAcquire(out var probe));

        breaker.RecordSuccess(early); // granted while closed: must not close the half-open circuit
        Assert.Equal(CircuitState.HalfOpen, breaker.State);
        breaker.RecordSuccess(probe);
        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public void Isolate_rejects_everything_until_reset_even_after_the_break()
    {
        using var breaker = Breaker(o => o.ConsecutiveFailures = 1);
        var changes = new List<CircuitStateChange>();
        using var subscription = breaker.StateChanges.Subscribe(changes.Add);
        breaker.Isolate();
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(CircuitState.Isolated, breaker.State);
        Assert.False(breaker.TryAcquire(out _));

        breaker.Reset();
        Assert.Equal(CircuitState.Closed, breaker.State);
        Succeed(breaker);
        Assert.Equal([CircuitTrigger.Isolated, CircuitTrigger.Reset], changes.Select(c => c.Trigger));
    }

    [Fact]
    public void Reset_closes_an_open_circuit_and_forgets_the_failures()
    {
        using var breaker = Breaker(o => o.ConsecutiveFailures = 2);
        Fail(breaker, 2);
        breaker.Reset();
        Fail(breaker);
        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public void Options_without_any_detection_strategy_are_refused_with_a_clear_message()
    {
        var error = Assert.Throws<ArgumentException>(() => new CircuitBreaker(new CircuitBreakerOptions { FailureRatio = 0 }));
        Assert.Contains("consecutiveFailures", error.Message, StringComparison.Ordinal);
    }
}
