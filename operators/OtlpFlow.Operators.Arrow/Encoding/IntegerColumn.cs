using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Types;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// An integer column read at whatever width it was written: the encoder stores each integer
/// column in the narrowest type its values fit (<see cref="SignedColumn"/>, <see cref="UnsignedColumn"/>), and this widens one
/// value at a time, straight from the message's memory.
/// </summary>
/// <typeparam name="T">The type the column's values are read as.</typeparam>
internal readonly struct IntegerColumn<T> where T : struct, IBinaryInteger<T>
{
    private readonly ReadOnlyMemory<byte> _values;
    private readonly int _width;
    private readonly bool _signed;

    public IntegerColumn(IArrowArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        (_width, _signed) = array.Data.DataType.TypeId switch
        {
            ArrowTypeId.Int8 => (1, true),
            ArrowTypeId.UInt8 => (1, false),
            ArrowTypeId.Int16 => (2, true),
            ArrowTypeId.UInt16 => (2, false),
            ArrowTypeId.Int32 => (4, true),
            ArrowTypeId.UInt32 => (4, false),
            ArrowTypeId.Int64 => (8, true),
            ArrowTypeId.UInt64 => (8, false),
            var other => throw new InvalidDataException($"A column of type {other} is not an integer column."),
        };

        Length = array.Length;
        var values = array.Data.Buffers[1].Memory;
        var start = array.Data.Offset * _width;
        if (values.Length < start + (Length * _width))
        {
            throw new InvalidDataException("An integer column is shorter than its length says.");
        }

        _values = values.Slice(start, Length * _width);
    }

    /// <summary>Values in the column.</summary>
    public int Length { get; }

    /// <summary>The column called <paramref name="name"/> of <paramref name="batch"/>.</summary>
    public static IntegerColumn<T> Of(RecordBatch batch, string name) =>
        new(batch.Column(name, StringComparer.Ordinal) ?? throw new InvalidDataException($"The table has no column '{name}'."));

    public T this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Length, nameof(index));
            var bytes = _values.Span[(index * _width)..];
            return (_width, _signed) switch
            {
                (1, true) => T.CreateTruncating((sbyte)bytes[0]),
                (1, false) => T.CreateTruncating(bytes[0]),
                (2, true) => T.CreateTruncating(BinaryPrimitives.ReadInt16LittleEndian(bytes)),
                (2, false) => T.CreateTruncating(BinaryPrimitives.ReadUInt16LittleEndian(bytes)),
                (4, true) => T.CreateTruncating(BinaryPrimitives.ReadInt32LittleEndian(bytes)),
                (4, false) => T.CreateTruncating(BinaryPrimitives.ReadUInt32LittleEndian(bytes)),
                (8, true) => T.CreateTruncating(BinaryPrimitives.ReadInt64LittleEndian(bytes)),
                _ => T.CreateTruncating(BinaryPrimitives.ReadUInt64LittleEndian(bytes)),
            };
        }
    }

    /// <summary>Every value, widened, in a new array.</summary>
    public T[] ToArray()
    {
        var result = new T[Length];
        CopyTo(result);
        return result;
    }

    /// <summary>
    /// Widens every value into <paramref name="destination"/> (at least <see cref="Length"/> long) in
    /// one pass: hot loops read the copy, not the message, and so pay the width switch once a column.
    /// </summary>
    public void CopyTo(Span<T> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} values; the column has {Length}.", nameof(destination));
        }

        destination = destination[..Length];
        var bytes = _values.Span;
        if (!BitConverter.IsLittleEndian)
        {
            for (var i = 0; i < destination.Length; i++)
            {
                destination[i] = this[i];
            }

            return;
        }

        switch (_width, _signed)
        {
            case (1, true): Widen(MemoryMarshal.Cast<byte, sbyte>(bytes), destination); break;
            case (1, false): Widen(bytes, destination); break;
            case (2, true): Widen(MemoryMarshal.Cast<byte, short>(bytes), destination); break;
            case (2, false): Widen(MemoryMarshal.Cast<byte, ushort>(bytes), destination); break;
            case (4, true): Widen(MemoryMarshal.Cast<byte, int>(bytes), destination); break;
            case (4, false): Widen(MemoryMarshal.Cast<byte, uint>(bytes), destination); break;
            case (8, true): Widen(MemoryMarshal.Cast<byte, long>(bytes), destination); break;
            default: Widen(MemoryMarshal.Cast<byte, ulong>(bytes), destination); break;
        }
    }

    private static void Widen<TSource>(ReadOnlySpan<TSource> source, Span<T> destination) where TSource : struct, IBinaryInteger<TSource>
    {
        if (typeof(TSource) == typeof(T))
        {
            MemoryMarshal.Cast<TSource, T>(source).CopyTo(destination);
            return;
        }

        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = T.CreateTruncating(source[i]);
        }
    }
}
