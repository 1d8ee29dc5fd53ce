namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// The writer's side of one stream-level string dictionary: strings get a stable index for the
/// life of the stream, and the strings added since the last message are its delta. When the
/// dictionary is over its limits at the start of a message it is reset, which the message says.
/// </summary>
internal sealed class StringDictionary
{
    // Requests often hold the same string object many times (a name or key shared by every span
    // of a service, strings a decoder shared through its own dictionary): a small cache keyed by
    // object identity answers those without hashing their characters.
    private const int CacheSize = 1024;
    private readonly (string? Value, uint Index)[] _cache = new (string?, uint)[CacheSize];
    private readonly Dictionary<string, uint> _index = new(StringComparer.Ordinal);
    private readonly List<string> _pending = [];
    private readonly int _maxEntries;
    private readonly long _maxChars;
    private long _chars;

    public StringDictionary(int maxEntries, long maxChars)
    {
        _maxEntries = maxEntries;
        _maxChars = maxChars;
    }

    /// <summary>Entries in the dictionary.</summary>
    public int Count => _index.Count;

    /// <summary>Strings added since the last <see cref="ClearPending"/>, in index order.</summary>
    public IReadOnlyList<string> Pending => _pending;

    /// <summary>Resets the dictionary when it is over a limit (or <paramref name="force"/>); returns true when it did.</summary>
    public bool ResetIfFull(bool force = false)
    {
        if (!force && _index.Count < _maxEntries && _chars < _maxChars)
        {
            return false;
        }

        _index.Clear();
        _pending.Clear();
        System.Array.Clear(_cache);
        _chars = 0;
        return true;
    }

    /// <summary>The index of <paramref name="value"/>, adding it to the delta when new.</summary>
    public uint IndexOf(string value)
    {
        ref var cached = ref _cache[System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(value) & (CacheSize - 1)];
        if (ReferenceEquals(cached.Value, value))
        {
            return cached.Index;
        }

        if (!_index.TryGetValue(value, out var index))
        {
            index = (uint)_index.Count;
            _index.Add(value, index);
            _pending.Add(value);
            _chars += value.Length;
        }

        cached = (value, index);
        return index;
    }

    /// <summary>Forgets the delta once it has been written.</summary>
    public void ClearPending() => _pending.Clear();
}
