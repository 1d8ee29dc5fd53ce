namespace OtlpFlow.Operators.Routing;

/// <summary>
/// Who the members of a partition are, as a stream: a subscriber receives the current members at
/// once, then every new list when the membership changes. A static list, a coordination service
/// (etcd leases, Redis) or a test implements it; <c>partition.consistentHash</c> and
/// <c>loadbalancing</c> subscribe when they start. Register one under a name as a keyed service
/// (<c>services.AddKeyedSingleton&lt;IMembershipSource&gt;("cluster", ...)</c>) and name it in the
/// operator's <c>membership</c> option.
/// </summary>
/// <remarks>Lists hold distinct names; an empty list means no member is available.</remarks>
public interface IMembershipSource : IObservable<IReadOnlyList<string>>
{
    /// <summary>The members now.</summary>
    IReadOnlyList<string> Current { get; }
}
