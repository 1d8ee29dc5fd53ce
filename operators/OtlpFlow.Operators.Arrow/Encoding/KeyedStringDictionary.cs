namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// The writer's side of the stream dictionary of attribute string values: one dictionary per
/// attribute key, so that a value's index counts only the values seen with its key. A key has few
/// distinct values, so its indexes are small numbers that repeat, where indexes into one shared
/// dictionary are large and scattered. New entries since the last message are its delta; the
/// limits count all keys together, and the dictionary is reset with the key dictionary.
/// </summary>
internal sealed class KeyedStringDictionary
{
    private const int CacheSize = 1024;
    private readonly (string? Value, uint Key, uint Index)[] _cache = new (string?, uint, uint)[CacheSize];
    private readonly Dictionary<(uint Key, string Value), uint> _index = new(KeyValueComparer.Instance);
    private readonly List<(uint Key, string Value)> _pending = [];
    private readonly int _maxEntries;
    private readonly long _maxChars;
    private uint[] _perKey = new uint[64];
    private long _chars;

    public KeyedStringDictionary(int maxEntries, long maxChars)
    {
        _maxEntries = maxEntries;
        _maxChars = maxChars;
    }

    /// <summary>Entries in all the keys' dictionaries.</summary>
    public int Count => _index.Count;

    /// <summary>Entries added since the last <see cref="ClearPending"/>, each with its key, in index order per key.</summary>
    public IReadOnlyList<(uint Key, string Value)> Pending => _pending;

    /// <summary>Resets every key's dictionary when over a limit (or <paramref name="force"/>); returns true when it did.</summary>
    public bool ResetIfFull(bool force = false)
    {
        if (!force && _index.Count < _maxEntries && _chars < _maxChars)
        {
            return false;
        }

        _index.Clear();
        _pending.Clear();
        System.Array.Clear(_perKey);
        System.Array.Clear(_cache);
        _chars = 0;
        return true;
    }

    /// <summary>The index of <paramref name="value"/> among the values of <paramref name="key"/>, adding it to the delta when new.</summary>
    public uint IndexOf(uint key, string value)
    {
        ref var cached = ref _cache[(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(value) ^ (int)(key * 0x9E3779B9)) & (CacheSize - 1)];
        if (ReferenceEquals(cached.Value, value) && cached.Key == key)
        {
            return cached.Index;
        }

        if (!_index.TryGetValue((key, value), out var index))
        {
            if (key >= _perKey.Length)
            {
                System.Array.Resize(ref _perKey, (int)Math.Max(key + 1, (uint)_perKey.Length * 2));
            }

            index = _perKey[key]++;
            _index.Add((key, value), index);
            _pending.Add((key, value));
            _chars += value.Length;
        }

        cached = (value, key, index);
        return index;
    }

    /// <summary>Forgets the delta once it has been written.</summary>
    public void ClearPending() => _pending.Clear();

    private sealed class KeyValueComparer : IEqualityComparer<(uint Key, string Value)>
    {
        public static readonly KeyValueComparer Instance = new();

        public bool Equals((uint Key, string Value) x, (uint Key, string Value) y) => x.Key == y.Key && string.Equals(x.Value, y.Value, StringComparison.Ordinal);

        public int GetHashCode((uint Key, string Value) obj) => HashCode.Combine(obj.Key, obj.Value);
    }
}
