namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>The reader's side of one stream-level dictionary: replays resets and deltas.</summary>
internal sealed class StringDictionaryReader
{
    private readonly List<string> _entries = [];

    public int Count => _entries.Count;

    public void Reset() => _entries.Clear();

    public void Append(string value) => _entries.Add(value);

    /// <summary>The string at <paramref name="index"/>.</summary>
    /// <exception cref="InvalidDataException">The index is not in the dictionary (a message is missing or corrupt).</exception>
    public string this[uint index] => index < (uint)_entries.Count
        ? _entries[(int)index]
        : throw new InvalidDataException($"Dictionary index {index} is out of range ({_entries.Count} entries): the stream is missing a message or is corrupt.");
}
