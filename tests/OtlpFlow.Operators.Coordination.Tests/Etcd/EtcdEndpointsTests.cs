using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Coordination.Etcd;
using OtlpFlow.Operators.Coordination.Tests.Servers;

namespace OtlpFlow.Operators.Coordination.Tests.Etcd;

[Collection(ServersCollection.Name)]
public sealed class EtcdEndpointsTests(ServersFixture servers)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(3);

    private static EtcdCoordinator Coordinator(string prefix, string id, params string[] endpoints) => new(new EtcdOptions
    {
        Endpoints = [.. endpoints],
        Prefix = prefix,
        MemberId = id,
        LeaseTtl = Ttl,
    });

    /// <summary>A loopback address where nothing listens: connections to it are refused.</summary>
    private static string DeadEndpoint() => $"http://127.0.0.1:{ServerProcess.FreePort()}";

    [EtcdFact]
    public async Task Dead_endpoints_listed_first_are_passed_over_for_a_live_one()
    {
        var prefix = ServersFixture.UniquePrefix("endpoints");
        await using var a = Coordinator(prefix, "a", DeadEndpoint(), DeadEndpoint(), servers.Etcd.Endpoint);
        await using var b = Coordinator(prefix, "b", servers.Etcd.Endpoint);
        await Task.WhenAll(a.StartAsync(), b.StartAsync());

        await Poll.UntilAsync(() => a.Membership.Current.SequenceEqual(["a", "b"]) && b.Membership.Current.SequenceEqual(["a", "b"]), "both to see a and b");
        await Poll.UntilAsync(() => a.CurrentLeader is not null && a.CurrentLeader == b.CurrentLeader, "one leader known to both");
        await a.PutAsync(prefix + "/config", "through the third endpoint");
        Assert.Equal("through the third endpoint", await b.GetAsync(prefix + "/config"));
        var keepAlives = a.KeepAlives;
        await Poll.UntilAsync(() => a.KeepAlives > keepAlives, "a keep-alive through the live endpoint");
    }

    [EtcdFact]
    public async Task Losing_the_etcd_node_in_use_moves_the_coordinator_to_the_next_endpoint_and_keeps_its_membership()
    {
        var members = EtcdServer.Cluster(3);
        try
        {
            await Task.WhenAll(members.Select(m => m.StartAsync()));
            var prefix = ServersFixture.UniquePrefix("cluster");

            // a lists every node and is connected to the first; b talks only to the last, which stays.
            await using var a = Coordinator(prefix, "a", [.. members.Select(m => m.Endpoint)]);
            await using var b = Coordinator(prefix, "b", members[2].Endpoint);
            await Task.WhenAll(a.StartAsync(), b.StartAsync());
            await Poll.UntilAsync(() => b.Membership.Current.SequenceEqual(["a", "b"]) && a.Membership.Current.SequenceEqual(["a", "b"]), "both to see a and b");
            var lease = a.LeaseId;

            await members[0].KillAsync();

            // a's keep-alives go on through another node, under the same lease: it never leaves.
            var keepAlives = a.KeepAlives;
            await Poll.UntilAsync(() => a.KeepAlives >= keepAlives + 3, "three keep-alives after the node went");
            Assert.Equal(lease, a.LeaseId);
            Assert.Equal(["a", "b"], b.Membership.Current);
            await a.PutAsync(prefix + "/config", "after the loss");
            Assert.Equal("after the loss", await b.GetAsync(prefix + "/config"));

            // And a still follows changes: a third member appears in its view.
            await using var c = Coordinator(prefix, "c", members[1].Endpoint);
            await c.StartAsync();
            await Poll.UntilAsync(() => a.Membership.Current.SequenceEqual(["a", "b", "c"]), "a to see c join");
        }
        finally
        {
            foreach (var member in members)
            {
                await member.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData(new[] { "127.0.0.1:2379" }, "etcd.endpoints[0]")]
    [InlineData(new[] { "http://127.0.0.1:2379", "ftp://127.0.0.1:2379" }, "etcd.endpoints[1]")]
    [InlineData(new[] { "http://127.0.0.1:2379", "https://127.0.0.1:2380" }, "etcd.endpoints")]
    [InlineData(new string[0], "etcd.endpoints")]
    public void Unusable_endpoints_are_named_in_the_error(string[] endpoints, string key)
    {
        var problem = EtcdChannel.Check(endpoints, out _);

        Assert.NotNull(problem);
        Assert.Equal(key, problem.Value.Key);
        var error = Assert.Throws<ArgumentException>(() => new EtcdCoordinator(new EtcdOptions { Endpoints = [.. endpoints] }));
        Assert.Contains($"'{key}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Several_http_or_several_https_endpoints_are_accepted()
    {
        Assert.Null(EtcdChannel.Check(["http://10.0.0.1:2379", "http://10.0.0.2:2379", "http://10.0.0.3:2379"], out var plain));
        Assert.Equal([2379, 2379, 2379], plain.Select(u => u.Port));
        Assert.Null(EtcdChannel.Check(["https://etcd-1:2379", "https://etcd-2:2379"], out var secure));
        Assert.Equal(["etcd-1", "etcd-2"], secure.Select(u => u.Host));
    }
}
