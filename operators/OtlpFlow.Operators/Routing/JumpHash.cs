namespace OtlpFlow.Operators.Routing;

/// <summary>
/// Jump consistent hashing (Lamping and Veach): no memory and a few steps per lookup, but members
/// are numbered buckets, so only the last one can leave without moving other keys. Named members
/// that come and go in any order do not fit it; kept for comparison (benchmarks, tests).
/// </summary>
internal sealed class JumpHash : IConsistentHash
{
    /// <summary>Creates the hash over <paramref name="members"/>, bucket i being member i.</summary>
    public JumpHash(IEnumerable<string> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        Members = [.. members];
        if (Members.Count == 0)
        {
            throw new ArgumentException("At least one member is needed.", nameof(members));
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Members { get; }

    /// <inheritdoc />
    public int OwnerOf(ulong keyHash)
    {
        long bucket = -1, next = 0;
        var key = keyHash;
        while (next < Members.Count)
        {
            bucket = next;
            key = (key * 2862933555777941757UL) + 1;
            next = (long)((bucket + 1) * ((double)(1L << 31) / ((key >> 33) + 1)));
        }

        return (int)bucket;
    }
}
