using System.Reactive.Subjects;

namespace OtlpFlow.Operators.Routing;

/// <summary>
/// A membership changed by calls: the static members of an operator, or a list that a host or a
/// test edits at runtime. Thread-safe; each change is published to subscribers in order.
/// </summary>
public sealed class MembershipSet : IMembershipSource, IDisposable
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
