using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Operators.Tests.Flow;

public sealed class SlidingWindowLimiterTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void At_most_the_limit_is_taken_within_one_window()
    {
        var window = new SlidingWindowLimiter(permitLimit: 100, TimeSpan.FromSeconds(1), segments: 10, _time);
        Assert.True(window.TryAcquire(60));
        _time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.True(window.TryAcquire(40));
        Assert.False(window.TryAcquire(1, out var retryAfter));

        // The first 60 slide out one second after their segment began.
        Assert.Equal(TimeSpan.FromMilliseconds(500), retryAfter);
        _time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(window.TryAcquire(1));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(60, window.AvailablePermits);
        Assert.True(window.TryAcquire(60));
        Assert.False(window.TryAcquire(1));
    }

    [Fact]
    public void Permits_return_segment_by_segment_as_the_window_slides()
    {
        var window = new SlidingWindowLimiter(permitLimit: 40, TimeSpan.FromSeconds(4), segments: 4, _time);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(window.TryAcquire(10));
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(10, window.AvailablePermits);
            Assert.True(window.TryAcquire(10));
            Assert.False(window.TryAcquire(1));
            _time.Advance(TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public void An_idle_window_forgets_everything()
    {
        var window = new SlidingWindowLimiter(permitLimit: 5, TimeSpan.FromSeconds(1), segments: 5, _time);
        Assert.True(window.TryAcquire(5));
        _time.Advance(TimeSpan.FromHours(3));
        Assert.Equal(5, window.AvailablePermits);
    }

    [Fact]
    public void A_request_larger_than_the_limit_passes_only_when_the_window_is_empty()
    {
        var window = new SlidingWindowLimiter(permitLimit: 10, TimeSpan.FromSeconds(1), segments: 2, _time);
        Assert.True(window.TryAcquire(1));
        Assert.False(window.TryAcquire(50));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(window.TryAcquire(50));
        Assert.False(window.TryAcquire(1));
    }

    [Fact]
    public void Many_threads_together_never_take_more_than_the_limit_per_window()
    {
        var window = new SlidingWindowLimiter(permitLimit: 4000, TimeSpan.FromSeconds(1), segments: 4, _time);
        Assert.Equal(4000, TokenBucketLimiterTests.DrainConcurrently(window, threads: 8));

        // A whole window later all 4000 have slid out; 999 ms after that the window is full again.
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(4000, TokenBucketLimiterTests.DrainConcurrently(window, threads: 8));
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(0, TokenBucketLimiterTests.DrainConcurrently(window, threads: 8));
    }

    [Fact]
    public void Threads_racing_the_clock_never_over_admit_in_any_window()
    {
        // One thread moves time by one segment at a time while others take permits; afterwards no
        // window of 4 consecutive segments holds more than the limit.
        var window = new SlidingWindowLimiter(permitLimit: 1000, TimeSpan.FromMilliseconds(400), segments: 4, _time);
        var perSegment = new long[400];
        var stop = 0;
        var origin = _time.GetTimestamp();
        var workers = Enumerable.Range(0, 4).Select(n => new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                if (window.TryAcquire(1))
                {
                    // Count in the segment the limiter counted it in: at least the one read now.
                    var segment = (_time.GetTimestamp() - origin) / TimeSpan.FromMilliseconds(100).Ticks;
                    Interlocked.Increment(ref perSegment[Math.Min(segment, perSegment.Length - 1)]);
                }
            }
        })).ToList();
        workers.ForEach(t => t.Start());
        for (var i = 0; i < 300; i++)
        {
            Thread.Yield();
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Volatile.Write(ref stop, 1);
        workers.ForEach(t => t.Join());
        var total = perSegment.Sum();
        Assert.True(total > 0);
        Assert.True(total <= 1000L * 301 / 4 + 1000, $"admitted {total}");
    }

    [Fact]
    public void A_fast_window_with_a_reserve_never_admits_more_than_its_limit_in_a_window()
    {
        // 160 permits a millisecond: small acquires come from a reserve of 160.
        var window = new SlidingWindowLimiter(permitLimit: 160_000, TimeSpan.FromSeconds(1), segments: 10, _time);
        Assert.Equal(160_000, window.AvailablePermits);
        Assert.Equal(160_000, TokenBucketLimiterTests.DrainConcurrently(window, threads: 8));
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(0, TokenBucketLimiterTests.DrainConcurrently(window, threads: 8));

        // Once the window has slid past, at most the limit again; at least the limit less the slice.
        _time.Advance(TimeSpan.FromSeconds(1));
        var second = TokenBucketLimiterTests.DrainConcurrently(window, threads: 8);
        Assert.InRange(second, 160_000 - 160, 160_000);
    }

    [Fact]
    public void Acquiring_allocates_nothing()
    {
        var window = new SlidingWindowLimiter(long.MaxValue >> 30, TimeSpan.FromSeconds(1), 10);
        window.TryAcquire(1, out _);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10000; i++)
        {
            window.TryAcquire(1, out _);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
