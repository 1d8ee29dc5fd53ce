using OtlpFlow.Operators.Resilience;

namespace OtlpFlow.Operators.Tests.Resilience;

public sealed class TimeoutPolicyTests
{
    [Fact]
    public void A_fixed_timeout_ignores_latencies()
    {
        var timeout = TimeoutPolicy.Fixed(TimeSpan.FromSeconds(3));
        for (var i = 0; i < 100; i++)
        {
            timeout.Record(TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(TimeSpan.FromSeconds(3), timeout.Current);
    }

    [Fact]
    public void An_adaptive_timeout_follows_the_quantile_times_the_multiplier()
    {
        var timeout = new TimeoutPolicy(new TimeoutOptions { Adaptive = true, Quantile = 0.9, Multiplier = 2, MinSamples = 20, Samples = 100 });
        Assert.Equal(TimeSpan.FromSeconds(10), timeout.Current); // the start value until there are enough samples

        for (var i = 1; i <= 100; i++)
        {
            timeout.Record(TimeSpan.FromMilliseconds(i * 10)); // 10 ms .. 1000 ms
        }

        Assert.Equal(TimeSpan.FromMilliseconds(1800), timeout.Current); // p90 = 900 ms, times 2
    }

    [Fact]
    public void An_adaptive_timeout_stays_between_floor_and_ceiling()
    {
        var fast = new TimeoutPolicy(new TimeoutOptions { Adaptive = true, Floor = TimeSpan.FromMilliseconds(200), MinSamples = 16 });
        var slow = new TimeoutPolicy(new TimeoutOptions { Adaptive = true, Ceiling = TimeSpan.FromSeconds(5), MinSamples = 16 });
        for (var i = 0; i < 64; i++)
        {
            fast.Record(TimeSpan.FromMilliseconds(1));
            slow.Record(TimeSpan.FromSeconds(60));
        }

        Assert.Equal(TimeSpan.FromMilliseconds(200), fast.Current);
        Assert.Equal(TimeSpan.FromSeconds(5), slow.Current);
    }

    [Fact]
    public void An_adaptive_timeout_moves_when_the_latency_changes()
    {
        var timeout = new TimeoutPolicy(new TimeoutOptions { Adaptive = true, Samples = 64, MinSamples = 16, Quantile = 0.5, Multiplier = 1, Floor = TimeSpan.FromMilliseconds(1) });
        for (var i = 0; i < 64; i++)
        {
            timeout.Record(TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal(TimeSpan.FromMilliseconds(100), timeout.Current);
        for (var i = 0; i < 64; i++)
        {
            timeout.Record(TimeSpan.FromMilliseconds(400));
        }

        Assert.Equal(TimeSpan.FromMilliseconds(400), timeout.Current);
    }
}
