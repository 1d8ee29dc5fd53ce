using OtlpFlow.Operators.Routing;

namespace OtlpFlow.Operators.Tests.Routing;

public sealed class ConsistentHashTests
{
    private const int Keys = 100_000;

    private static ulong[] KeyHashes()
    {
        var random = new Random(42);
        var bytes = new byte[16];
        var keys = new ulong[Keys];
        for (var i = 0; i < Keys; i++)
        {
            random.NextBytes(bytes);
            keys[i] = PartitionHash.Of(bytes);
        }

        return keys;
    }

    private static string[] Members(int n) => Enumerable.Range(0, n).Select(i => $"collector-{i}").ToArray();

    private static int Moved(IConsistentHash before, IConsistentHash after, ulong[] keys) =>
        keys.Count(k => before.Members[before.OwnerOf(k)] != after.Members[after.OwnerOf(k)]);

    [Theory]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(25)]
    public void Removing_one_of_n_members_moves_at_most_1_1_over_n_of_the_keys_and_only_its_own(int n)
    {
        var keys = KeyHashes();
        var members = Members(n);
        var before = new RendezvousHash(members);
        var removed = members[n / 2];
        var after = new RendezvousHash(members.Where(m => m != removed));

        Assert.True(Moved(before, after, keys) <= 1.1 * Keys / n, $"moved {Moved(before, after, keys)} of {Keys}");
        Assert.All(keys.Where(k => before.Members[before.OwnerOf(k)] != after.Members[after.OwnerOf(k)]),
            k => Assert.Equal(removed, before.Members[before.OwnerOf(k)]));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(25)]
    public void Adding_a_member_to_n_moves_at_most_1_1_over_n_of_the_keys_and_only_to_it(int n)
    {
        var keys = KeyHashes();
        var members = Members(n);
        var before = new RendezvousHash(members);
        var after = new RendezvousHash([.. members, "newcomer"]);

        Assert.True(Moved(before, after, keys) <= 1.1 * Keys / n, $"moved {Moved(before, after, keys)} of {Keys}");
        Assert.All(keys.Where(k => before.Members[before.OwnerOf(k)] != after.Members[after.OwnerOf(k)]),
            k => Assert.Equal("newcomer", after.Members[after.OwnerOf(k)]));
    }

    [Fact]
    public void The_spread_over_10_members_has_a_standard_deviation_under_5_percent()
    {
        var keys = KeyHashes();
        var hash = new RendezvousHash(Members(10));
        var counts = new double[10];
        foreach (var k in keys)
        {
            counts[hash.OwnerOf(k)]++;
        }

        var mean = counts.Average();
        var stddev = Math.Sqrt(counts.Sum(c => (c - mean) * (c - mean)) / counts.Length);
        Assert.True(stddev / mean < 0.05, $"relative standard deviation {stddev / mean:P2}");
    }

    [Fact]
    public void The_ring_and_jump_hash_kept_for_comparison_also_move_little_when_the_last_member_leaves()
    {
        var keys = KeyHashes();
        var members = Members(10);
        foreach (var make in new Func<IEnumerable<string>, IConsistentHash>[] { m => new HashRing(m, 256), m => new JumpHash(m) })
        {
            var before = make(members);
            var after = make(members[..^1]);
            Assert.True(Moved(before, after, keys) <= 1.1 * Keys / 10, $"{before.GetType().Name} moved {Moved(before, after, keys)}");
            Assert.All(keys.Take(1000), k => Assert.InRange(before.OwnerOf(k), 0, 9));
        }
    }

    [Fact]
    public void Owners_do_not_depend_on_the_order_members_are_listed_in()
    {
        var keys = KeyHashes().Take(5000).ToArray();
        var a = new RendezvousHash(["x", "y", "z"]);
        var b = new RendezvousHash(["z", "x", "y"]);
        Assert.All(keys, k => Assert.Equal(a.Members[a.OwnerOf(k)], b.Members[b.OwnerOf(k)]));
    }

    [Fact]
    public void With_a_bound_a_hot_key_spills_over_and_no_member_passes_the_cap()
    {
        var hash = new RendezvousHash(Members(4));
        var decider = new PartitionDecider(PartitionKey.Parse("service"), hash, [0, 0, 0, 0], 1000, 1.25);
        var resource = RoutingTestData.Resource("hot");
        var counts = new int[4];
        for (var i = 0; i < 1000; i++)
        {
            counts[decider.Decide(resource, null, RoutingTestData.Span("s", i))]++;
        }

        Assert.All(counts, c => Assert.InRange(c, 0, 313));
        Assert.Equal(1000, counts.Sum());
    }

    [Theory]
    [InlineData("traceId")]
    [InlineData("spanId")]
    [InlineData("service")]
    [InlineData("resource[\"k8s.pod.name\"]")]
    [InlineData("scope[\"lib\"]")]
    [InlineData("attributes[\"tenant\"]")]
    public void Partition_keys_parse(string text) => Assert.Equal(text, PartitionKey.Parse(text).Text);

    [Theory]
    [InlineData("traceid")]
    [InlineData("attributes[tenant]")]
    [InlineData("labels[\"x\"]")]
    public void A_wrong_partition_key_says_what_keys_exist(string text)
    {
        var error = Assert.Throws<FormatException>(() => PartitionKey.Parse(text));
        Assert.Contains("traceId, spanId, service", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_membership_set_publishes_its_current_members_then_every_change()
    {
        using var set = new MembershipSet(["a", "b"]);
        var seen = new List<IReadOnlyList<string>>();
        using var subscription = set.Subscribe(new Observer(seen.Add));
        Assert.True(set.Add("c"));
        Assert.False(set.Add("c"));
        Assert.True(set.Remove("a"));
        Assert.Equal(["a", "b"], seen[0]);
        Assert.Equal(["a", "b", "c"], seen[1]);
        Assert.Equal(["b", "c"], seen[2]);
        Assert.Equal(3, seen.Count);
    }

    private sealed class Observer(Action<IReadOnlyList<string>> next) : IObserver<IReadOnlyList<string>>
    {
        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void OnNext(IReadOnlyList<string> value) => next(value);
    }
}
