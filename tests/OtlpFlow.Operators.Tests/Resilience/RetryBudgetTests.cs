using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Operators.Resilience;

namespace OtlpFlow.Operators.Tests.Resilience;

public sealed class RetryBudgetTests
{
    [Fact]
    public void Retries_are_limited_to_the_floor_plus_a_ratio_of_recent_requests()
    {
        var time = new FakeTimeProvider();
        var budget = new RetryBudget(new RetryBudgetOptions { Ratio = 0.1, MinPerSecond = 1, Window = TimeSpan.FromSeconds(10) }, time);
        for (var i = 0; i < 100; i++)
        {
            budget.RecordRequest();
        }

        // 10 from the floor (1/s over 10 s) and 10 from the ratio.
        var granted = Enumerable.Range(0, 50).Count(_ => budget.TryAcquireRetry());
        Assert.Equal(20, granted);
        Assert.Equal(30, budget.Rejected);
    }

    [Fact]
    public void The_budget_refills_as_old_retries_leave_the_window()
    {
        var time = new FakeTimeProvider();
        var budget = new RetryBudget(new RetryBudgetOptions { Ratio = 0, MinPerSecond = 1, Window = TimeSpan.FromSeconds(10) }, time);
        Assert.Equal(10, Enumerable.Range(0, 20).Count(_ => budget.TryAcquireRetry()));

        time.Advance(TimeSpan.FromSeconds(11));
        Assert.True(budget.TryAcquireRetry());
    }

    [Fact]
    public void An_executor_stops_retrying_when_the_budget_is_spent()
    {
        var time = new FakeTimeProvider();
        var budget = new RetryBudget(new RetryBudgetOptions { Ratio = 0, MinPerSecond = 0.1, Window = TimeSpan.FromSeconds(10) }, time);
        var executor = new RetryExecutor(new RetryOptions { Initial = TimeSpan.FromSeconds(1) }, time, budget);

        Assert.True(executor.Decide(1, TimeSpan.Zero, AttemptOutcome.Retryable(), TimeSpan.Zero).Retry);
        Assert.Equal(RetryStop.BudgetExhausted, executor.Decide(1, TimeSpan.Zero, AttemptOutcome.Retryable(), TimeSpan.Zero).Stop);
    }
}
