using System.Threading.RateLimiting;
using BenchmarkDotNet.Attributes;
using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Benchmarks.Flow;

/// <summary>
/// The cost of one successful acquire: OtlpFlow's lock-free limiter cores against
/// System.Threading.RateLimiting's <see cref="TokenBucketRateLimiter"/> and
/// <see cref="SlidingWindowRateLimiter"/> (<c>AttemptAcquire</c>), the peer a .NET user would pick.
/// Limits are set so high that every acquire succeeds: what is measured is the bookkeeping, on one
/// thread and on two threads hammering the same limiter. Results are per acquire.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByCategory, BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class RateLimiterBenchmarks
{
    private const int Acquires = 1 << 20;
    private TokenBucketLimiter _tokenBucket = null!;
    private SlidingWindowLimiter _slidingWindow = null!;
    private TokenBucketRateLimiter _peerTokenBucket = null!;
    private SlidingWindowRateLimiter _peerSlidingWindow = null!;

    /// <summary>Threads acquiring at once from the same limiter.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Builds limiters that never run out during a run.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _tokenBucket = new TokenBucketLimiter(rate: 1e15, burst: 1e15);
        _slidingWindow = new SlidingWindowLimiter(permitLimit: 1L << 39, TimeSpan.FromSeconds(1), segments: 10);
        _peerTokenBucket = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = int.MaxValue,
            TokensPerPeriod = int.MaxValue,
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
        _peerSlidingWindow = new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
        {
            PermitLimit = int.MaxValue,
            Window = TimeSpan.FromSeconds(1),
            SegmentsPerWindow = 10,
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    /// <summary>Releases the peers' timers.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _peerTokenBucket.Dispose();
        _peerSlidingWindow.Dispose();
    }

    /// <summary>System.Threading.RateLimiting token bucket.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Acquires)]
    [BenchmarkCategory("TokenBucket")]
    public void PeerTokenBucket() => Run(() =>
    {
        for (var i = 0; i < Acquires / Threads; i++)
        {
            using var lease = _peerTokenBucket.AttemptAcquire(1);
        }
    });

    /// <summary>OtlpFlow token bucket.</summary>
    [Benchmark(OperationsPerInvoke = Acquires)]
    [BenchmarkCategory("TokenBucket")]
    public void OtlpFlowTokenBucket() => Run(() =>
    {
        for (var i = 0; i < Acquires / Threads; i++)
        {
            _tokenBucket.TryAcquire(1, out _);
        }
    });

    /// <summary>System.Threading.RateLimiting sliding window.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Acquires)]
    [BenchmarkCategory("SlidingWindow")]
    public void PeerSlidingWindow() => Run(() =>
    {
        for (var i = 0; i < Acquires / Threads; i++)
        {
            using var lease = _peerSlidingWindow.AttemptAcquire(1);
        }
    });

    /// <summary>OtlpFlow sliding window.</summary>
    [Benchmark(OperationsPerInvoke = Acquires)]
    [BenchmarkCategory("SlidingWindow")]
    public void OtlpFlowSlidingWindow() => Run(() =>
    {
        for (var i = 0; i < Acquires / Threads; i++)
        {
            _slidingWindow.TryAcquire(1, out _);
        }
    });

    private void Run(Action body)
    {
        if (Threads == 1)
        {
            body();
            return;
        }

        var actions = new Action[Threads];
        Array.Fill(actions, body);
        Parallel.Invoke(new ParallelOptions { MaxDegreeOfParallelism = Threads }, actions);
    }
}
