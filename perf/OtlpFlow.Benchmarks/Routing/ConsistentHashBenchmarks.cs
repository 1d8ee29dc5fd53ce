using BenchmarkDotNet.Attributes;
using OtlpFlow.Operators.Routing;

namespace OtlpFlow.Benchmarks.Routing;

/// <summary>
/// Key → member lookups: a ring with 256 virtual nodes per member (the usual choice, the
/// baseline), rendezvous hashing (what the partitioners use) and jump hashing. One operation is
/// 4096 lookups of random 16-byte trace ids' hashes.
/// </summary>
[MemoryDiagnoser]
public class ConsistentHashBenchmarks
{
    private const int Keys = 4096;
    private ulong[] _keys = null!;
    private HashRing _ring = null!;
    private RendezvousHash _rendezvous = null!;
    private JumpHash _jump = null!;

    /// <summary>Members partitioned over.</summary>
    [Params(3, 10, 50)]
    public int Members { get; set; }

    /// <summary>Builds the three hashes over the same members and the keys.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var bytes = new byte[16];
        _keys = new ulong[Keys];
        for (var i = 0; i < Keys; i++)
        {
            random.NextBytes(bytes);
            _keys[i] = PartitionHash.Of(bytes);
        }

        var members = Enumerable.Range(0, Members).Select(i => $"collector-{i}:4317").ToArray();
        _ring = new HashRing(members, 256);
        _rendezvous = new RendezvousHash(members);
        _jump = new JumpHash(members);
    }

    /// <summary>Ring with virtual nodes: a binary search over Members × 256 points.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Keys)]
    public int Ring() => Run(_ring);

    /// <summary>Rendezvous: one mix per member.</summary>
    [Benchmark(OperationsPerInvoke = Keys)]
    public int Rendezvous() => Run(_rendezvous);

    /// <summary>Jump: about ln(Members) steps.</summary>
    [Benchmark(OperationsPerInvoke = Keys)]
    public int Jump() => Run(_jump);

    private int Run(IConsistentHash hash)
    {
        var sum = 0;
        foreach (var key in _keys)
        {
            sum += hash.OwnerOf(key);
        }

        return sum;
    }
}
