using System.Text.Json.Nodes;
using OtlpFlow.Operators.Coordination.Etcd;

namespace OtlpFlow.Operators.Coordination.Tests.Etcd;

public sealed class EtcdLeaseTtlTests
{
    [Theory]
    [InlineData(3.0, 2)]
    [InlineData(3.5, 2)]
    [InlineData(4.0, 3)]
    [InlineData(10.0, 9)]
    [InlineData(10.9, 9)]
    [InlineData(60.0, 59)]
    public void The_granted_lease_is_the_ttl_less_the_expiry_margin_in_whole_seconds(double leaseTtlSeconds, long granted)
    {
        var ttl = TimeSpan.FromSeconds(leaseTtlSeconds);

        Assert.Equal(granted, EtcdOptions.GrantedSeconds(ttl));

        // With the margin, a lease refreshed just before its holder died still ends within the TTL.
        Assert.True(TimeSpan.FromSeconds(granted) + EtcdOptions.ExpiryMargin <= ttl);
    }

    [Theory]
    [InlineData("1s")]
    [InlineData("2500ms")]
    public void A_lease_ttl_below_three_seconds_is_refused(string leaseTtl)
    {
        var ttl = OtlpFlow.Engine.Options.Duration.Parse(leaseTtl);
        Assert.Throws<ArgumentOutOfRangeException>(() => new EtcdCoordinator(new EtcdOptions { Endpoints = ["http://127.0.0.1:2379"], LeaseTtl = ttl }));

        var error = Assert.Throws<ArgumentException>(() => CoordinationOptions.Bind(new JsonObject
        {
            ["etcd"] = new JsonObject { ["endpoints"] = new JsonArray("http://127.0.0.1:2379"), ["leaseTtl"] = leaseTtl },
        }));
        Assert.Contains("'etcd.leaseTtl' must be at least 3s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_coordination_section_names_a_bad_endpoint()
    {
        var error = Assert.Throws<ArgumentException>(() => CoordinationOptions.Bind(new JsonObject
        {
            ["etcd"] = new JsonObject { ["endpoints"] = new JsonArray("http://127.0.0.1:2379", "127.0.0.1:2380") },
        }));

        Assert.Contains("'etcd.endpoints[1]' must be an address", error.Message, StringComparison.Ordinal);
    }
}
