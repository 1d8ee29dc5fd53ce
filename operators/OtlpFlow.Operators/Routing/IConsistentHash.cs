namespace OtlpFlow.Operators.Routing;

/// <summary>
/// Maps a key's hash to one of a fixed list of members so that a change of members moves few
/// keys. Implementations are immutable: a change of membership builds a new one.
/// </summary>
internal interface IConsistentHash
{
    /// <summary>The members, in the order their indexes refer to.</summary>
    IReadOnlyList<string> Members { get; }

    /// <summary>The index in <see cref="Members"/> of the member that owns <paramref name="keyHash"/>.</summary>
    int OwnerOf(ulong keyHash);
}
