using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Operators.Tests.Flow;

public sealed class TokenBucketLimiterTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void A_new_bucket_admits_its_burst_at_once_and_then_refuses()
    {
        var bucket = new TokenBucketLimiter(rate: 100, burst: 50, _time);
        for (var i = 0; i < 50; i++)
        {
            Assert.True(bucket.TryAcquire());
        }

        Assert.False(bucket.TryAcquire(1, out var retryAfter));
        Assert.Equal(TimeSpan.FromMilliseconds(10), retryAfter);
    }

    [Fact]
    public void Tokens_refill_at_the_rate_and_never_past_the_burst()
    {
        var bucket = new TokenBucketLimiter(rate: 1000, burst: 100, _time);
        Assert.True(bucket.TryAcquire(100));
        Assert.Equal(0, bucket.AvailablePermits);

        _time.Advance(TimeSpan.FromMilliseconds(30));
        Assert.Equal(30, bucket.AvailablePermits);
        Assert.False(bucket.TryAcquire(31));
        Assert.True(bucket.TryAcquire(30));

        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(100, bucket.AvailablePermits);
    }

    [Fact]
    public void Waiting_the_retry_time_is_always_enough()
    {
        var bucket = new TokenBucketLimiter(rate: 3, burst: 1, _time);
        Assert.True(bucket.TryAcquire(1));
        for (var i = 0; i < 100; i++)
        {
            Assert.False(bucket.TryAcquire(1, out var wait));
            _time.Advance(wait);
            Assert.True(bucket.TryAcquire(1));
        }
    }

    [Fact]
    public void Admissions_over_time_follow_burst_plus_rate_times_elapsed()
    {
        var bucket = new TokenBucketLimiter(rate: 50000, burst: 50000, _time);
        long admitted = 0;
        for (var step = 0; step <= 300; step++)
        {
            while (bucket.TryAcquire(512))
            {
                admitted += 512;
            }

            var elapsed = step * 0.01;
            Assert.InRange(admitted, 50000 + (50000 * elapsed) - 512, 50000 + (50000 * elapsed));
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }
    }

    [Fact]
    public void A_request_larger_than_the_burst_passes_when_the_bucket_is_full_and_leaves_debt()
    {
        var bucket = new TokenBucketLimiter(rate: 100, burst: 100, _time);
        Assert.True(bucket.TryAcquire(300));
        Assert.False(bucket.TryAcquire(1, out var wait));
        Assert.Equal(TimeSpan.FromMilliseconds(2010), wait);
    }

    [Fact]
    public void Many_threads_together_never_take_more_than_the_bucket_allows()
    {
        var bucket = new TokenBucketLimiter(rate: 10000, burst: 5000, _time);
        long expected = 5000;
        for (var round = 0; round < 5; round++)
        {
            Assert.Equal(expected, DrainConcurrently(bucket, threads: 8));
            _time.Advance(TimeSpan.FromMilliseconds(137));
            expected = 1370;
        }
    }

    [Fact]
    public void A_fast_bucket_with_a_reserve_never_holds_more_than_its_burst()
    {
        // A millisecond of the rate is 16 permits: small acquires come from that reserve.
        var bucket = new TokenBucketLimiter(rate: 16000, burst: 1600, _time);
        Assert.Equal(1600, bucket.AvailablePermits);
        for (var round = 0; round < 3; round++)
        {
            var available = bucket.AvailablePermits;
            var taken = 0;
            while (bucket.TryAcquire(1))
            {
                taken++;
            }

            Assert.Equal(available, taken);
            Assert.InRange(taken, round == 0 ? 1600 : 1600 - 16, 1600);
            _time.Advance(TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public void Small_acquires_served_from_the_reserve_never_pass_burst_plus_rate_times_elapsed()
    {
        var bucket = new TokenBucketLimiter(rate: 100000, burst: 100000, _time);
        long taken = 0;
        for (var step = 0; step < 50; step++)
        {
            while (bucket.TryAcquire(7))
            {
                taken += 7;
            }

            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        // Burst + 49 ms of rate at most; at least that less a request and the reserve's slice (100).
        Assert.InRange(taken, 100000 + 4900 - 7 - 100, 100000 + 4900);
    }

    [Fact]
    public void Many_threads_on_a_fast_bucket_never_take_more_than_it_allows()
    {
        var bucket = new TokenBucketLimiter(rate: 1_000_000, burst: 200_000, _time);
        long total = 0;
        for (var round = 0; round < 5; round++)
        {
            total += DrainConcurrently(bucket, threads: 8);
            Assert.InRange(total, 200_000 + (round * 10_000) - 1000, 200_000 + (round * 10_000));
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }
    }

    [Fact]
    public void Acquiring_allocates_nothing()
    {
        var bucket = new TokenBucketLimiter(rate: 1e9, burst: 1e9);
        bucket.TryAcquire(1);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10000; i++)
        {
            bucket.TryAcquire(1, out _);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void Invalid_rates_are_rejected_with_a_message()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucketLimiter(0, 10));
        Assert.Contains("rate", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Several threads take one permit at a time until refused; returns how many were taken.</summary>
    internal static long DrainConcurrently(IPermitLimiter limiter, int threads)
    {
        long taken = 0;
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(n => new Thread(() =>
        {
            start.SignalAndWait();
            long mine = 0;
            while (limiter.TryAcquire(1, out _))
            {
                mine++;
            }

            Interlocked.Add(ref taken, mine);
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        return taken;
    }
}
