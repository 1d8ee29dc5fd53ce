using System.Collections;
using System.Diagnostics.CodeAnalysis;
using Google.Protobuf;
using OtlpFlow.Operators.Arrow.Encoding;

namespace OtlpFlow.Operators.Arrow.Operators;

/// <summary>
/// How an Arrow encoding travels with a batch inside a graph: <c>arrow.encode</c> replaces the
/// batch context's metadata with this dictionary, which reads exactly as the original metadata
/// and also carries the encoded message. The payload stays the OTLP request, so every operator
/// between <c>arrow.encode</c> and <c>arrow.decode</c> works as usual, and the engine (which moves
/// OTLP requests) needs no change.
/// </summary>
public sealed class ArrowEncodedMetadata : IReadOnlyDictionary<string, string>
{
    /// <summary>Wraps <paramref name="inner"/> with an encoding of <paramref name="source"/>.</summary>
    public ArrowEncodedMetadata(IReadOnlyDictionary<string, string> inner, ArrowEncodedBatch encoded, IMessage source)
    {
        Inner = inner;
        Encoded = encoded;
        Source = source;
    }

    /// <summary>The metadata the batch had before it was encoded.</summary>
    public IReadOnlyDictionary<string, string> Inner { get; }

    /// <summary>The encoded message.</summary>
    public ArrowEncodedBatch Encoded { get; }

    /// <summary>
    /// The payload that was encoded. When a batch's payload is no longer this object, an operator
    /// changed the data after encoding and the encoding is stale.
    /// </summary>
    public IMessage Source { get; }

    /// <inheritdoc />
    public string this[string key] => Inner[key];

    /// <inheritdoc />
    public IEnumerable<string> Keys => Inner.Keys;

    /// <inheritdoc />
    public IEnumerable<string> Values => Inner.Values;

    /// <inheritdoc />
    public int Count => Inner.Count;

    /// <inheritdoc />
    public bool ContainsKey(string key) => Inner.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value) => Inner.TryGetValue(key, out value);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => Inner.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
