namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>The reader's side of the per-key value dictionaries (<see cref="KeyedStringDictionary"/>).</summary>
internal sealed class KeyedStringDictionaryReader
{
    private readonly List<List<string>?> _byKey = [];

    public void Reset() => _byKey.Clear();

    /// <summary>Adds the next value of <paramref name="key"/>'s dictionary (a key the stream has: the caller checks).</summary>
    public void Append(uint key, string value)
    {
        while (_byKey.Count <= key)
        {
            _byKey.Add(null);
        }

        (_byKey[(int)key] ??= []).Add(value);
    }

    /// <summary>Value <paramref name="index"/> of <paramref name="key"/>.</summary>
    /// <exception cref="InvalidDataException">There is no such value (a message is missing or corrupt).</exception>
    public string this[uint key, uint index]
    {
        get
        {
            var values = key < (uint)_byKey.Count ? _byKey[(int)key] : null;
            return values is not null && index < (uint)values.Count
                ? values[(int)index]
                : throw new InvalidDataException($"Value {index} of key {key} is not in the dictionary: the stream is missing a message or is corrupt.");
        }
    }
}
