using System.Reactive.Subjects;
using OtlpFlow.Operators.Routing;

namespace OtlpFlow.Operators.Coordination.Etcd;

/// <summary>
/// The members registered in etcd, as Routing's <see cref="IMembershipSource"/>: each list holds
/// the members' advertised values, sorted, so that every instance sees the same list. Register it
/// as the keyed service <c>"etcd"</c> and name it in <c>partition.consistentHash</c> or
/// <c>loadbalancing</c> (<c>"membership": "etcd"</c>).
/// </summary>
public sealed class ClusterMembership : IMembershipSource, IDisposable
{
    private readonly BehaviorSubject<IReadOnlyList<string>> _subject = new([]);

    /// <inheritdoc />
    public IReadOnlyList<string> Current => _subject.Value;

    /// <inheritdoc />
    public IDisposable Subscribe(IObserver<IReadOnlyList<string>> observer) => _subject.Subscribe(observer);

    /// <summary>Publishes a new list when it differs from the current one.</summary>
    internal void Publish(IEnumerable<string> members)
    {
        var sorted = members.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        lock (_subject)
        {
            if (!_subject.Value.SequenceEqual(sorted, StringComparer.Ordinal))
            {
                _subject.OnNext(sorted);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _subject.Dispose();
}
