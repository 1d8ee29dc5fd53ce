using System.Buffers.Binary;

namespace OtlpFlow.Engine.Telemetry;

/// <summary>
/// Walks the fields of one protobuf message in place, without allocating: for operators that read
/// a few fields of encoded data (trace ids, times) and copy the rest as bytes. Malformed input
/// throws <see cref="FormatException"/>.
/// </summary>
public ref struct ProtoReader(ReadOnlySpan<byte> message)
{
    /// <summary>Varint wire type.</summary>
    public const int Varint = 0;

    /// <summary>64-bit wire type.</summary>
    public const int Fixed64 = 1;

    /// <summary>Length-delimited wire type.</summary>
    public const int LengthDelimited = 2;

    /// <summary>32-bit wire type.</summary>
    public const int Fixed32 = 5;

    private readonly ReadOnlySpan<byte> _data = message;
    private int _position;

    /// <summary>The offset of the next field in the message.</summary>
    public readonly int Position => _position;

    /// <summary>Reads the next field's number and wire type; false at the end of the message.</summary>
    public bool Next(out int field, out int wireType)
    {
        if (_position >= _data.Length)
        {
            field = 0;
            wireType = 0;
            return false;
        }

        var tag = ReadVarint();
        field = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        if (field <= 0 || tag > uint.MaxValue)
        {
            throw new FormatException($"invalid protobuf tag {tag} at offset {_position}");
        }

        return true;
    }

    /// <summary>
    /// Moves to the next length-delimited field numbered <paramref name="field"/>, skipping the
    /// others, and reads its bytes (a nested message); false at the end of the message.
    /// </summary>
    public bool NextChild(int field, out ReadOnlySpan<byte> child)
    {
        while (Next(out var f, out var wire))
        {
            if (f == field && wire == LengthDelimited)
            {
                child = ReadBytes();
                return true;
            }

            Skip(wire);
        }

        child = default;
        return false;
    }

    /// <summary>Reads a varint.</summary>
    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw new FormatException("protobuf varint runs past the end of the message");
            }

            var b = _data[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new FormatException("protobuf varint longer than 10 bytes");
    }

    /// <summary>Reads a fixed 64-bit value.</summary>
    public ulong ReadFixed64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>Reads a length-delimited field's bytes (a nested message, a string, bytes).</summary>
    public ReadOnlySpan<byte> ReadBytes()
    {
        var length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
        {
            throw new FormatException($"protobuf field of {length} bytes runs past the end of the message");
        }

        return Take((int)length);
    }

    /// <summary>Skips the value of a field of <paramref name="wireType"/>.</summary>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case Varint:
                ReadVarint();
                break;
            case Fixed64:
                Take(8);
                break;
            case LengthDelimited:
                ReadBytes();
                break;
            case Fixed32:
                Take(4);
                break;
            default:
                throw new FormatException($"unsupported protobuf wire type {wireType}");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position)
        {
            throw new FormatException("protobuf field runs past the end of the message");
        }

        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }
}
