using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Operators.Tests.Flow;

public sealed class LeakyBucketLimiterTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Admitted_requests_leave_one_after_another_at_the_rate()
    {
        var bucket = new LeakyBucketLimiter(rate: 100, capacity: 1000, _time);
        var departures = new List<TimeSpan>();
        for (var i = 0; i < 4; i++)
        {
            Assert.True(bucket.TryAcquire(50, out var delay));
            departures.Add(delay);
        }

        Assert.Equal([TimeSpan.Zero, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.5)], departures);
        Assert.Equal(200, bucket.Queued);
    }

    [Fact]
    public void A_full_queue_refuses_until_enough_has_drained()
    {
        var bucket = new LeakyBucketLimiter(rate: 100, capacity: 100, _time);
        Assert.True(bucket.TryAcquire(100, out _));
        Assert.False(bucket.TryAcquire(30, out var retryAfter));
        Assert.Equal(TimeSpan.FromMilliseconds(300), retryAfter);

        _time.Advance(retryAfter);
        Assert.True(bucket.TryAcquire(30, out var delay));
        Assert.Equal(TimeSpan.FromMilliseconds(700), delay);
    }

    [Fact]
    public void The_queue_drains_while_idle()
    {
        var bucket = new LeakyBucketLimiter(rate: 10, capacity: 10, _time);
        Assert.True(bucket.TryAcquire(10, out _));
        Assert.Equal(0, bucket.AvailablePermits);
        _time.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(5, bucket.AvailablePermits);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(10, bucket.AvailablePermits);
        Assert.Equal(0, bucket.Queued);
    }

    [Fact]
    public void Many_threads_together_never_queue_past_the_capacity()
    {
        var bucket = new LeakyBucketLimiter(rate: 1000, capacity: 3000, _time);
        Assert.Equal(3000, TokenBucketLimiterTests.DrainConcurrently(bucket, threads: 8));
        _time.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal(250, TokenBucketLimiterTests.DrainConcurrently(bucket, threads: 8));
    }

    [Fact]
    public void Acquiring_allocates_nothing()
    {
        var bucket = new LeakyBucketLimiter(rate: 1e9, capacity: 1e12);
        bucket.TryAcquire(1, out _);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10000; i++)
        {
            bucket.TryAcquire(1, out _);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
