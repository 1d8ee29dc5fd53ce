using System.Reactive.Subjects;
using OtlpFlow.Operators.Routing;

namespace OtlpFlow.Operators.Coordination.Etcd;

/// <summary>
/// The members registered in etcd, as Routing's <see cref="IMembershipSource"/>: each list holds
/// the members' advertised values, sorted, so that every instance sees the same list. Register it
/// as the keyed service <c>"etcd"</c> and name it in <c>partition.consistentHash</c> or
/// <c>loadbalancing</c> (<c>"membership": "etcd"</c>). As an <see cref="IMemberDirectory"/> it also
/// tells each member's lease (a member that registers again is a new member), the members that
/// left and are draining, and this instance's own endpoint.
/// </summary>
public sealed class ClusterMembership : IMemberDirectory, IDisposable
{
    private readonly BehaviorSubject<IReadOnlyList<string>> _subject = new([]);
    private IReadOnlyDictionary<string, long> _generations = new Dictionary<string, long>(StringComparer.Ordinal);
    private IReadOnlyList<string> _leaving = [];

    /// <inheritdoc />
    public IReadOnlyList<string> Current => _subject.Value;

    /// <inheritdoc />
    public string? Self { get; internal set; }

    /// <inheritdoc />
    public IReadOnlyList<string> Leaving => Volatile.Read(ref _leaving);

    /// <inheritdoc />
    public long GenerationOf(string member) => Volatile.Read(ref _generations).GetValueOrDefault(member);

    /// <inheritdoc />
    public IDisposable Subscribe(IObserver<IReadOnlyList<string>> observer) => _subject.Subscribe(observer);

    /// <summary>Publishes a new list when it differs from the current one.</summary>
    internal void Publish(IEnumerable<string> members) => Publish(members.Select(m => (m, 0L)), null);

    /// <summary>
    /// Publishes the members (each with the lease it registered under) and, when known, the
    /// members draining, when anything differs from what was last published.
    /// </summary>
    internal void Publish(IEnumerable<(string Member, long Lease)> members, IEnumerable<string>? leaving)
    {
        var generations = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (member, lease) in members)
        {
            generations[member] = Math.Max(lease, generations.GetValueOrDefault(member));
        }

        var sorted = generations.Keys.Order(StringComparer.Ordinal).ToArray();
        lock (_subject)
        {
            var left = leaving is null ? Leaving : leaving.Except(sorted, StringComparer.Ordinal).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            var before = Volatile.Read(ref _generations);
            var changed = !_subject.Value.SequenceEqual(sorted, StringComparer.Ordinal)
                || !Leaving.SequenceEqual(left, StringComparer.Ordinal)
                || sorted.Any(m => before.GetValueOrDefault(m) != generations[m]);
            Volatile.Write(ref _generations, generations);
            Volatile.Write(ref _leaving, left);
            if (changed)
            {
                _subject.OnNext(sorted);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _subject.Dispose();
}
