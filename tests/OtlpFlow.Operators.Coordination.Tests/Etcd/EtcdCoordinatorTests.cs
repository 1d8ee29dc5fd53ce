using System.Diagnostics;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Coordination.Etcd;
using OtlpFlow.Operators.Coordination.Tests.Servers;
using Xunit.Abstractions;

namespace OtlpFlow.Operators.Coordination.Tests.Etcd;

[Collection(ServersCollection.Name)]
public sealed class EtcdCoordinatorTests(ServersFixture servers, ITestOutputHelper output)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(3);

    private EtcdCoordinator Coordinator(string prefix, string id) => new(new EtcdOptions
    {
        Endpoints = [servers.Etcd.Endpoint],
        Prefix = prefix,
        MemberId = id,
        LeaseTtl = Ttl,
    });

    /// <summary>Three started coordinators a, b and c under a fresh prefix; disposed together.</summary>
    private async Task<Cluster> StartThreeAsync(string name)
    {
        var prefix = ServersFixture.UniquePrefix(name);
        var cluster = new Cluster([Coordinator(prefix, "a"), Coordinator(prefix, "b"), Coordinator(prefix, "c")]);
        await Task.WhenAll(cluster.All.Select(x => x.StartAsync()));
        return cluster;
    }

    private sealed record Cluster(EtcdCoordinator[] All) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var coordinator in All)
            {
                await coordinator.DisposeAsync();
            }
        }
    }

    [EtcdFact]
    public async Task Three_instances_register_and_each_sees_all_three()
    {
        await using var cluster = await StartThreeAsync("members");

        foreach (var instance in cluster.All)
        {
            await Poll.UntilAsync(() => instance.Membership.Current.SequenceEqual(["a", "b", "c"]), $"{instance.MemberId} to see a, b and c");
        }
    }

    [EtcdFact]
    public async Task One_leader_is_elected_and_all_agree_on_it()
    {
        await using var cluster = await StartThreeAsync("leader");
        var all = cluster.All;

        await Poll.UntilAsync(() => all.Count(x => x.IsLeader) == 1 && all.All(x => x.CurrentLeader == all.Single(l => l.IsLeader).MemberId), "one leader that every instance knows");
    }

    [EtcdFact]
    public async Task Killing_the_leader_elects_another_within_the_lease_ttl_and_removes_it_from_the_membership()
    {
        await using var cluster = await StartThreeAsync("failover");
        var all = cluster.All;
        await Poll.UntilAsync(() => all.Count(x => x.IsLeader) == 1, "a leader");
        await Poll.UntilAsync(() => all.All(x => x.Membership.Current.Count == 3), "three members");
        var leader = all.Single(x => x.IsLeader);
        var others = all.Where(x => x != leader).ToArray();

        // A crash at the worst moment: just after etcd acknowledged a keep-alive, so the lease runs
        // for its whole granted TTL. The keep-alive stops and nothing is revoked; only the lease's
        // expiry ends the leadership. The clock starts as the crash begins.
        var keepAlives = leader.KeepAlives;
        await Poll.UntilAsync(() => leader.KeepAlives > keepAlives, "a keep-alive of the leader");
        var crash = Stopwatch.StartNew();
        await leader.AbandonAsync();
        var elected = WhenAsync(() => others.Any(x => x.IsLeader), "another leader", crash);
        var agreed = WhenAsync(() => others.Count(x => x.IsLeader) == 1 && others.All(x => x.CurrentLeader == others.Single(l => l.IsLeader).MemberId), "every instance to know the new leader", crash);
        var left = WhenAsync(() => others.All(x => !x.Membership.Current.Contains(leader.MemberId)), "the dead leader to leave the membership", crash);
        await Task.WhenAll(elected, agreed, left);

        output.WriteLine($"leaseTtl {Ttl.TotalSeconds}s (granted {EtcdOptions.GrantedSeconds(Ttl)}s): elected after {await elected:g}, known to all after {await agreed:g}, out of the membership after {await left:g}");
        Assert.True(await elected <= Ttl, $"a new leader took {await elected:g} with leaseTtl {Ttl.TotalSeconds}s");
        Assert.True(await agreed <= Ttl, $"every instance knew the new leader after {await agreed:g} with leaseTtl {Ttl.TotalSeconds}s");
        Assert.True(await left <= Ttl, $"the dead leader left the membership after {await left:g} with leaseTtl {Ttl.TotalSeconds}s");
    }

    [EtcdFact]
    public async Task An_instance_that_leaves_cleanly_is_gone_from_the_membership_at_once()
    {
        var prefix = ServersFixture.UniquePrefix("leave");
        await using var a = Coordinator(prefix, "a");
        var b = Coordinator(prefix, "b");
        await Task.WhenAll(a.StartAsync(), b.StartAsync());
        await Poll.UntilAsync(() => a.Membership.Current.Count == 2, "two members");

        await b.DisposeAsync();

        await Poll.UntilAsync(() => a.Membership.Current.SequenceEqual(["a"]), "b to be gone", TimeSpan.FromSeconds(2));
        await Poll.UntilAsync(() => a.IsLeader, "a to lead alone");
    }

    [EtcdFact]
    public async Task A_front_instance_follows_the_members_of_the_tier_named_in_members_of()
    {
        var back = ServersFixture.UniquePrefix("back");
        await using var b1 = Coordinator(back, "b1");
        await using var b2 = Coordinator(back, "b2");
        await using var front = new EtcdCoordinator(new EtcdOptions
        {
            Endpoints = [servers.Etcd.Endpoint],
            Prefix = ServersFixture.UniquePrefix("front"),
            MembersOf = back,
            MemberId = "f1",
            LeaseTtl = Ttl,
        });
        await Task.WhenAll(b1.StartAsync(), b2.StartAsync(), front.StartAsync());

        await Poll.UntilAsync(() => front.Membership.Current.SequenceEqual(["b1", "b2"]), "the front to see the back tier");
        await b2.DisposeAsync();
        await Poll.UntilAsync(() => front.Membership.Current.SequenceEqual(["b1"]), "b2 to leave");
        await Poll.UntilAsync(() => front.IsLeader, "the front instance to lead its own tier");
    }

    [EtcdFact]
    public async Task A_watched_key_reports_its_value_and_every_change()
    {
        var prefix = ServersFixture.UniquePrefix("watch");
        await using var a = Coordinator(prefix, "a");
        await a.StartAsync();
        var seen = new List<string?>();
        using var subscription = a.WatchKey(prefix + "/config").Subscribe(v => { lock (seen) { seen.Add(v); } });
        await Poll.UntilAsync(() => { lock (seen) { return seen.Count == 1; } }, "the initial (absent) value");

        await a.PutAsync(prefix + "/config", "one");
        await a.PutAsync(prefix + "/config", "two");
        await a.DeleteAsync(prefix + "/config");

        await Poll.UntilAsync(() => { lock (seen) { return seen.Count == 4; } }, "three changes");
        lock (seen)
        {
            Assert.Equal([null, "one", "two", null], seen);
        }
    }

    private static async Task<TimeSpan> WhenAsync(Func<bool> condition, string what, Stopwatch clock)
    {
        await Poll.UntilAsync(condition, what);
        return clock.Elapsed;
    }
}
