namespace OtlpFlow.Operators.Routing;

/// <summary>
/// What a coordination service knows of its members beyond the list: which registration each
/// member is (a member that registers again, under a new lease, is a new member even at the same
/// endpoint), which members have left but still take data handed to them while they drain, and
/// which member this instance is. A membership source that knows these implements it;
/// <c>loadbalancing</c> forgets a re-registered member's ejection, and <c>loadbalancing.handoff</c>
/// sends spans of a moved trace to the member that holds it.
/// </summary>
/// <remarks>
/// The source publishes (<see cref="IObservable{T}"/>) whenever any of this changes, even when the
/// list of members stays the same.
/// </remarks>
public interface IMemberDirectory : IMembershipSource
{
    /// <summary>This instance's member name (its advertised endpoint) when it belongs to this membership; else null.</summary>
    string? Self { get; }

    /// <summary>Members that left (they own no keys) and still take handed-off data while they drain.</summary>
    IReadOnlyList<string> Leaving { get; }

    /// <summary>The registration of <paramref name="member"/> (etcd: its lease); 0 when it is not a member.</summary>
    long GenerationOf(string member);
}
