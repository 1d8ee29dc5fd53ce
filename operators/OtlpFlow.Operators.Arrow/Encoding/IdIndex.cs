using System.Buffers.Binary;
using Google.Protobuf;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// Rows by span or trace id for one message, reused from message to message. When every id of the
/// message has the standard width (8 bytes for spans, 16 for traces) the ids are keyed as numbers,
/// which hash and compare far faster than byte strings; any other width falls back to the bytes.
/// </summary>
internal sealed class IdIndex
{
    private readonly Dictionary<ulong, int> _ids8 = [];
    private readonly Dictionary<UInt128, int> _ids16 = [];
    private readonly Dictionary<ByteString, int> _other = [];
    private int _width;

    public int Count => _width switch { 8 => _ids8.Count, 16 => _ids16.Count, _ => _other.Count };

    /// <summary>Empties the index; <paramref name="width"/> is the width every id of the message has (8 or 16), or 0.</summary>
    public void Clear(int width)
    {
        _ids8.Clear();
        _ids16.Clear();
        _other.Clear();
        _width = width;
    }

    public bool TryAdd(ByteString id, int value) => _width switch
    {
        8 => _ids8.TryAdd(BinaryPrimitives.ReadUInt64LittleEndian(id.Span), value),
        16 => _ids16.TryAdd(Wide(id.Span), value),
        _ => _other.TryAdd(id, value),
    };

    public bool TryGetValue(ByteString id, out int value)
    {
        if (_width == 0)
        {
            return _other.TryGetValue(id, out value);
        }

        if (id.Length != _width)
        {
            value = 0;
            return false;
        }

        return _width == 8
            ? _ids8.TryGetValue(BinaryPrimitives.ReadUInt64LittleEndian(id.Span), out value)
            : _ids16.TryGetValue(Wide(id.Span), out value);
    }

    private static UInt128 Wide(ReadOnlySpan<byte> id) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(id), BinaryPrimitives.ReadUInt64LittleEndian(id[8..]));
}
