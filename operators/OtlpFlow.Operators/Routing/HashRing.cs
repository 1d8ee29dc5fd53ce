namespace OtlpFlow.Operators.Routing;

/// <summary>
/// A consistent-hash ring with virtual nodes: each member is placed at
/// <see cref="VirtualNodes"/> points of a 64-bit circle, and a key belongs to the first point at or
/// after its hash. A lookup is a binary search. The spread's relative standard deviation is
/// about 1/sqrt(virtual nodes), so an even spread needs many points per member. Kept for
/// comparison (benchmarks, tests); the operators use <see cref="RendezvousHash"/>.
/// </summary>
internal sealed class HashRing : IConsistentHash
{
    private readonly ulong[] _points;
    private readonly int[] _owners;

    /// <summary>Creates the ring over <paramref name="members"/> with <paramref name="virtualNodes"/> points each.</summary>
    public HashRing(IEnumerable<string> members, int virtualNodes = 160)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentOutOfRangeException.ThrowIfLessThan(virtualNodes, 1);
        Members = [.. members];
        if (Members.Count == 0)
        {
            throw new ArgumentException("At least one member is needed.", nameof(members));
        }

        VirtualNodes = virtualNodes;
        var points = new List<(ulong Point, int Owner)>(Members.Count * virtualNodes);
        for (var m = 0; m < Members.Count; m++)
        {
            var seed = PartitionHash.Of(Members[m]);
            for (var v = 0; v < virtualNodes; v++)
            {
                points.Add((PartitionHash.Mix(seed + (ulong)v * 0x9e3779b97f4a7c15UL), m));
            }
        }

        points.Sort((a, b) => a.Point.CompareTo(b.Point));
        _points = points.Select(p => p.Point).ToArray();
        _owners = points.Select(p => p.Owner).ToArray();
    }

    /// <summary>Points per member.</summary>
    public int VirtualNodes { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> Members { get; }

    /// <inheritdoc />
    public int OwnerOf(ulong keyHash)
    {
        var index = Array.BinarySearch(_points, keyHash);
        if (index < 0)
        {
            index = ~index;
        }

        return _owners[index == _points.Length ? 0 : index];
    }
}
