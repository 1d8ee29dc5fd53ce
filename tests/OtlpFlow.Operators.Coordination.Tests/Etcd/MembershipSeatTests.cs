using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Coordination.Etcd;
using OtlpFlow.Operators.Coordination.Tests.Servers;

namespace OtlpFlow.Operators.Coordination.Tests.Etcd;

/// <summary>
/// An instance's seat in its cluster on a real etcd: it takes a lease without being a member
/// (<c>StartAsync(announce: false)</c>), becomes one (<c>AnnounceAsync</c>), leaves and drains
/// (<c>LeaveAsync</c>), and what others see of it in <see cref="ClusterMembership"/>: the list, each
/// member's lease (<c>GenerationOf</c>), the draining members (<c>Leaving</c>) and <c>Self</c>.
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class MembershipSeatTests(ServersFixture servers)
{
    private const string E = "http://e.test:4317";

    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(3);

    /// <summary>Longer than any test here: a crashed instance's key is still there when it comes back.</summary>
    private static readonly TimeSpan LongTtl = TimeSpan.FromMinutes(2);

    private EtcdCoordinator Coordinator(string prefix, string id, string? advertise = null, TimeSpan? ttl = null, string? membersOf = null) => new(new EtcdOptions
    {
        Endpoints = [servers.Etcd.Endpoint],
        Prefix = prefix,
        MemberId = id,
        Advertise = advertise,
        LeaseTtl = ttl ?? Ttl,
        MembersOf = membersOf,
    });

    [EtcdFact]
    public async Task Started_without_announcing_an_instance_holds_a_lease_but_is_a_member_only_once_it_announces()
    {
        var prefix = ServersFixture.UniquePrefix("seat-announce");
        await using var other = Coordinator(prefix, "o");
        await other.StartAsync();
        await using var e = Coordinator(prefix, "e", E);

        await e.StartAsync(announce: false);

        Assert.NotEqual(0, e.LeaseId);
        Assert.False(e.IsAnnounced);
        Assert.Equal(E, e.Membership.Self);
        Assert.Null(await other.GetAsync(prefix + "/members/e"));
        await Poll.UntilAsync(() => e.Membership.Current.Contains("o"), "e to read the members");
        Assert.Equal(["o"], e.Membership.Current);
        Assert.Equal(0, e.Membership.GenerationOf(E));
        await Poll.UntilAsync(() => other.Membership.Current.Contains("o"), "the other member to read the members");
        Assert.Equal(["o"], other.Membership.Current);

        await e.AnnounceAsync();

        Assert.True(e.IsAnnounced);
        Assert.Equal(E, await other.GetAsync(prefix + "/members/e"));
        await Poll.UntilAsync(() => other.Membership.Current.SequenceEqual([E, "o"]), "the other member to see e");
        await Poll.UntilAsync(() => e.Membership.Current.SequenceEqual([E, "o"]), "e to count itself a member");
        Assert.Equal(e.LeaseId, other.Membership.GenerationOf(E));
        Assert.Equal(other.LeaseId, e.Membership.GenerationOf("o"));
        Assert.Equal(0, e.Membership.GenerationOf("nobody"));
        Assert.Empty(other.Membership.Leaving);
    }

    [EtcdFact]
    public async Task Leaving_removes_the_member_key_and_lists_the_instance_as_draining_under_its_lease_until_it_is_disposed()
    {
        var prefix = ServersFixture.UniquePrefix("seat-leave");
        await using var other = Coordinator(prefix, "o");
        await using var e = Coordinator(prefix, "e", E);
        await using var front = Coordinator(ServersFixture.UniquePrefix("seat-leave-front"), "f", membersOf: prefix);
        await Task.WhenAll(other.StartAsync(), e.StartAsync(), front.StartAsync());
        await Poll.UntilAsync(() => other.Membership.Current.SequenceEqual([E, "o"]) && front.Membership.Current.SequenceEqual([E, "o"]), "both to see e and o");
        Assert.True(e.IsAnnounced);
        Assert.Null(front.Membership.Self);

        await e.LeaveAsync();

        Assert.False(e.IsAnnounced);
        Assert.Null(await other.GetAsync(prefix + "/members/e"));
        Assert.Equal(E, await other.GetAsync(prefix + "/draining/e"));
        foreach (var observer in new[] { other, front })
        {
            await Poll.UntilAsync(() => observer.Membership.Current.SequenceEqual(["o"]) && observer.Membership.Leaving.SequenceEqual([E]), $"{observer.MemberId} to see e draining");
            Assert.Equal(0, observer.Membership.GenerationOf(E));
        }

        // Leaving twice changes nothing.
        await e.LeaveAsync();
        Assert.Equal(E, await other.GetAsync(prefix + "/draining/e"));

        // The draining key lives under the instance's lease: revoking it at the end takes it away.
        await e.DisposeAsync();

        Assert.Null(await other.GetAsync(prefix + "/draining/e"));
        await Poll.UntilAsync(() => other.Membership.Leaving.Count == 0 && front.Membership.Leaving.Count == 0, "e to be gone from the draining members");
        Assert.Equal(["o"], other.Membership.Current);
    }

    [EtcdFact]
    public async Task A_member_that_registers_again_at_the_same_endpoint_under_a_new_lease_is_published_again_with_the_new_generation()
    {
        var prefix = ServersFixture.UniquePrefix("seat-generation");
        await using var other = Coordinator(prefix, "o");
        await using var first = Coordinator(prefix, "e", E, LongTtl);
        await Task.WhenAll(other.StartAsync(), first.StartAsync());
        await Poll.UntilAsync(() => other.Membership.Current.SequenceEqual([E, "o"]) && other.Membership.GenerationOf(E) == first.LeaseId, "o to see e under its first lease");
        var published = new List<(IReadOnlyList<string> Members, long Generation)>();
        using var subscription = other.Membership.Subscribe(list =>
        {
            lock (published)
            {
                published.Add((list, other.Membership.GenerationOf(E)));
            }
        });

        // e crashes (its key stays until the lease expires) and restarts at once under a new lease.
        await first.AbandonAsync();
        await using var second = Coordinator(prefix, "e", E, LongTtl);
        await second.StartAsync();

        Assert.NotEqual(first.LeaseId, second.LeaseId);
        await Poll.UntilAsync(() => other.Membership.GenerationOf(E) == second.LeaseId, "o to see e's new lease");
        Assert.Equal([E, "o"], other.Membership.Current);
        lock (published)
        {
            // The list is the same, yet it was published again: the new generation is news.
            Assert.Equal(first.LeaseId, published[0].Generation);
            Assert.Contains(published.Skip(1), p => p.Members.SequenceEqual([E, "o"]) && p.Generation == second.LeaseId);
        }
    }

    [EtcdFact]
    public async Task After_a_restart_an_instance_counts_itself_a_member_only_once_it_announced_under_its_new_lease()
    {
        var prefix = ServersFixture.UniquePrefix("seat-restart");
        await using var other = Coordinator(prefix, "o");
        await using var first = Coordinator(prefix, "e", E, LongTtl);
        await Task.WhenAll(other.StartAsync(), first.StartAsync());
        await Poll.UntilAsync(() => other.Membership.Current.SequenceEqual([E, "o"]), "o to see e");

        // e crashes; its key (at its endpoint) is still in etcd when it starts again, not yet announced.
        await first.AbandonAsync();
        await using var second = Coordinator(prefix, "e", E, LongTtl);
        await second.StartAsync(announce: false);

        await Poll.UntilAsync(() => second.Membership.Current.Contains("o"), "the restarted e to read the members");
        Assert.Equal(["o"], second.Membership.Current);
        Assert.Equal(E, await other.GetAsync(prefix + "/members/e"));
        Assert.Equal([E, "o"], other.Membership.Current);
        Assert.Equal(first.LeaseId, other.Membership.GenerationOf(E));

        await second.AnnounceAsync();

        await Poll.UntilAsync(() => second.Membership.Current.SequenceEqual([E, "o"]), "e to count itself once announced");
        Assert.Equal(second.LeaseId, second.Membership.GenerationOf(E));
        await Poll.UntilAsync(() => other.Membership.GenerationOf(E) == second.LeaseId, "o to see e's new lease");
    }
}
