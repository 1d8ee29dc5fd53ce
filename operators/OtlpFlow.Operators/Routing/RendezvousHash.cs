namespace OtlpFlow.Operators.Routing;

/// <summary>
/// Rendezvous (highest random weight) hashing: a key belongs to the member with the highest
/// score <c>hash(key, member)</c>. Adding or removing a member moves exactly the keys it wins or
/// held (1/N of them), the spread is as even as the hash, and there is nothing to tune. A lookup
/// costs one mix per member, which is cheap for the tens of members a pipeline partitions over.
/// This is what <c>partition.consistentHash</c> and <c>loadbalancing</c> use; see the Routing
/// README for the measurements against <see cref="HashRing"/> and <see cref="JumpHash"/>.
/// </summary>
internal sealed class RendezvousHash : IConsistentHash
{
    private readonly ulong[] _memberHashes;

    /// <summary>Creates the hash over <paramref name="members"/> (distinct names, at least one).</summary>
    public RendezvousHash(IEnumerable<string> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        Members = [.. members];
        if (Members.Count == 0)
        {
            throw new ArgumentException("At least one member is needed.", nameof(members));
        }

        _memberHashes = Members.Select(PartitionHash.Of).ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Members { get; }

    /// <inheritdoc />
    public int OwnerOf(ulong keyHash)
    {
        var best = 0;
        var bestScore = PartitionHash.Combine(keyHash, _memberHashes[0]);
        for (var m = 1; m < _memberHashes.Length; m++)
        {
            var score = PartitionHash.Combine(keyHash, _memberHashes[m]);
            if (score > bestScore)
            {
                best = m;
                bestScore = score;
            }
        }

        return best;
    }

    /// <summary>
    /// The owner among the members that <paramref name="accepts"/>: the highest-scoring member that
    /// has room, for bounded-load partitioning. When none accepts, the plain owner.
    /// </summary>
    public int OwnerOf(ulong keyHash, Func<int, bool> accepts)
    {
        ArgumentNullException.ThrowIfNull(accepts);
        var best = -1;
        var bestScore = 0UL;
        for (var m = 0; m < _memberHashes.Length; m++)
        {
            var score = PartitionHash.Combine(keyHash, _memberHashes[m]);
            if ((best < 0 || score > bestScore) && accepts(m))
            {
                best = m;
                bestScore = score;
            }
        }

        return best < 0 ? OwnerOf(keyHash) : best;
    }
}
