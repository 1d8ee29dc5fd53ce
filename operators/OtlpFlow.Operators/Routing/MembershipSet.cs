using System.Reactive.Subjects;

namespace OtlpFlow.Operators.Routing;

/// <summary>
/// A membership changed by calls: the static members of an operator, or a list that a host or a
/// test edits at runtime. Thread-safe; each change is published to subscribers in order. As an
/// <see cref="IMemberDirectory"/> it names this instance when the host sets <see cref="Self"/>
/// (a static cluster whose host edits the list can then run <c>loadbalancing.handoff</c>); it has
/// no draining members, and a member's generation is 1 while it is one.
/// </summary>
public sealed class MembershipSet : IMemberDirectory, IDisposable
{
    private readonly Lock _lock = new();
    private readonly BehaviorSubject<IReadOnlyList<string>> _subject;

    /// <summary>Creates the set with its first members.</summary>
    public MembershipSet(IEnumerable<string> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        _subject = new BehaviorSubject<IReadOnlyList<string>>(Distinct(members));
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Current => _subject.Value;

    /// <inheritdoc />
    public string? Self { get; set; }

    /// <inheritdoc />
    public IReadOnlyList<string> Leaving => [];

    /// <inheritdoc />
    public long GenerationOf(string member) => Current.Contains(member, StringComparer.Ordinal) ? 1 : 0;

    /// <summary>Replaces the members.</summary>
    public void Set(IEnumerable<string> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        lock (_lock)
        {
            _subject.OnNext(Distinct(members));
        }
    }

    /// <summary>Adds a member; false when it is already one.</summary>
    public bool Add(string member)
    {
        ArgumentException.ThrowIfNullOrEmpty(member);
        lock (_lock)
        {
            var current = _subject.Value;
            if (current.Contains(member, StringComparer.Ordinal))
            {
                return false;
            }

            _subject.OnNext([.. current, member]);
            return true;
        }
    }

    /// <summary>Removes a member; false when it was not one.</summary>
    public bool Remove(string member)
    {
        lock (_lock)
        {
            var current = _subject.Value;
            if (!current.Contains(member, StringComparer.Ordinal))
            {
                return false;
            }

            _subject.OnNext(current.Where(m => !string.Equals(m, member, StringComparison.Ordinal)).ToArray());
            return true;
        }
    }

    /// <inheritdoc />
    public IDisposable Subscribe(IObserver<IReadOnlyList<string>> observer) => _subject.Subscribe(observer);

    /// <inheritdoc />
    public void Dispose() => _subject.Dispose();

    private static string[] Distinct(IEnumerable<string> members) => members.Distinct(StringComparer.Ordinal).ToArray();
}
