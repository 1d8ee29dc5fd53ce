using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Memory;
using Apache.Arrow.Types;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// The Arrow buffers of one message, rented from the stream's allocator (so that a
/// <see cref="OtlpFlow.Operators.Arrow.Memory.TrackingMemoryAllocator"/> counts them) and given
/// back together once the message is written.
/// </summary>
internal sealed class MessageBuffers(MemoryAllocator allocator) : IDisposable
{
    private readonly List<IMemoryOwner<byte>> _owners = [];

    /// <summary>An Arrow buffer holding a copy of <paramref name="values"/>.</summary>
    public ArrowBuffer Copy<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        if (bytes.IsEmpty)
        {
            return ArrowBuffer.Empty;
        }

        var memory = Rent(bytes.Length);
        bytes.CopyTo(memory.Span);
        return new ArrowBuffer(memory);
    }

    /// <summary>Room for <paramref name="count"/> values to fill, and the Arrow buffer over it.</summary>
    public Span<T> Rent<T>(int count, out ArrowBuffer buffer) where T : unmanaged
    {
        if (count == 0)
        {
            buffer = ArrowBuffer.Empty;
            return [];
        }

        var memory = Rent(count * Unsafe.SizeOf<T>());
        buffer = new ArrowBuffer(memory);
        return MemoryMarshal.Cast<byte, T>(memory.Span);
    }

    private Memory<byte> Rent(int length)
    {
        var owner = allocator.Allocate(length);
        _owners.Add(owner);
        return owner.Memory[..length];
    }

    /// <summary>Gives every buffer back.</summary>
    public void Dispose()
    {
        foreach (var owner in _owners)
        {
            owner.Dispose();
        }

        _owners.Clear();
    }
}

/// <summary>Growth and trimming of the scratch arrays that columns reuse from message to message.</summary>
internal static class Scratch
{
    /// <summary>Capacity kept between messages; a larger array is dropped once a message used less than a quarter of it.</summary>
    private const int KeptCapacity = 64 * 1024;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Grow<T>(ref T[] array, int needed) =>
        System.Array.Resize(ref array, Math.Max(needed, Math.Max(16, array.Length * 2)));

    /// <summary>Drops an oversized array after a message that used little of it, so that one large message does not pin memory for the stream's life.</summary>
    public static void Trim<T>(ref T[] array, int used)
    {
        if (array.Length > KeptCapacity && used < array.Length / 4)
        {
            array = new T[Math.Max(16, used)];
        }
    }
}

/// <summary>The validity bitmap of a nullable column.</summary>
internal sealed class NullMask
{
    private byte[] _bits = new byte[64];

    public int NullCount { get; private set; }

    public void Clear(int previousCount)
    {
        System.Array.Clear(_bits, 0, Math.Min(_bits.Length, (previousCount + 7) / 8));
        Scratch.Trim(ref _bits, (previousCount + 7) / 8);
        NullCount = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(int row, bool valid)
    {
        if ((row >> 3) >= _bits.Length)
        {
            Scratch.Grow(ref _bits, (row >> 3) + 1);
        }

        if (valid)
        {
            _bits[row >> 3] |= (byte)(1 << (row & 7));
        }
        else
        {
            NullCount++;
        }
    }

    public ArrowBuffer Build(MessageBuffers buffers, int length) =>
        NullCount == 0 ? ArrowBuffer.Empty : buffers.Copy<byte>(_bits.AsSpan(0, (length + 7) / 8));
}

/// <summary>
/// The values of a fixed-width column in a scratch array reused from message to message, with its
/// validity when the column is nullable. Subclasses track, while appending, what decides how the
/// column is stored.
/// </summary>
internal abstract class FixedWidthValues<T>(bool nullable) where T : unmanaged
{
    private T[] _values = new T[256];

    public int Count { get; private set; }

    public bool Nullable => Nulls is not null;

    protected NullMask? Nulls { get; } = nullable ? new NullMask() : null;

    protected ReadOnlySpan<T> Values => _values.AsSpan(0, Count);

    public virtual void Clear()
    {
        Nulls?.Clear(Count);
        Scratch.Trim(ref _values, Count);
        Count = 0;
    }

    /// <summary>Makes room for <paramref name="count"/> values at once (a message's row count), rather than by doubling.</summary>
    public void Reserve(int count)
    {
        if (_values.Length < count)
        {
            System.Array.Resize(ref _values, count);
        }
    }

    public void AppendNull() => Add(default, valid: false);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected void Add(T value, bool valid)
    {
        var row = Count;
        if ((uint)row >= (uint)_values.Length)
        {
            Scratch.Grow(ref _values, row + 1);
        }

        _values[row] = value;
        if (Nulls is not null)
        {
            Nulls.Set(row, valid);
        }
        else if (!valid)
        {
            throw new InvalidOperationException("A null in a column that is not nullable.");
        }

        Count = row + 1;
    }
}

/// <summary>
/// A column of signed integers, stored at the narrowest width (8, 16, 32 or 64 bits) that holds
/// every value of the message; the width is known when the last value is appended (an OR of the
/// values' magnitudes), so the message buffer is written once.
/// </summary>
internal sealed class SignedColumn(bool nullable = false) : FixedWidthValues<long>(nullable)
{
    private ulong _magnitude;

    public override void Clear()
    {
        base.Clear();
        _magnitude = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Append(long value)
    {
        Add(value, valid: true);
        _magnitude |= (ulong)(value ^ (value >> 63));
    }

    public IArrowArray Build(MessageBuffers buffers) => Build(buffers, Values, _magnitude, Nulls);

    /// <summary>Signed values at the narrowest width that holds <paramref name="magnitude"/> (the OR of each value XOR its sign).</summary>
    public static IArrowArray Build(MessageBuffers buffers, ReadOnlySpan<long> values, ulong magnitude, NullMask? nulls)
    {
        var (type, data) = magnitude switch
        {
            < 0x80 => (Int8Type.Default, Columns.Narrowed<long, sbyte>(buffers, values)),
            < 0x8000 => (Int16Type.Default, Columns.Narrowed<long, short>(buffers, values)),
            < 0x8000_0000 => (Int32Type.Default, Columns.Narrowed<long, int>(buffers, values)),
            _ => ((IArrowType)Int64Type.Default, buffers.Copy(values)),
        };
        return Columns.Array(type, values.Length, nulls, buffers, data);
    }
}

/// <summary>A column of unsigned integers at the narrowest width that holds every value of the message.</summary>
internal sealed class UnsignedColumn(bool nullable = false) : FixedWidthValues<ulong>(nullable)
{
    private ulong _or;

    public override void Clear()
    {
        base.Clear();
        _or = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Append(ulong value)
    {
        Add(value, valid: true);
        _or |= value;
    }

    public IArrowArray Build(MessageBuffers buffers)
    {
        var values = Values;
        var (type, data) = _or switch
        {
            <= byte.MaxValue => (UInt8Type.Default, Columns.Narrowed<ulong, byte>(buffers, values)),
            <= ushort.MaxValue => (UInt16Type.Default, Columns.Narrowed<ulong, ushort>(buffers, values)),
            <= uint.MaxValue => (UInt32Type.Default, Columns.Narrowed<ulong, uint>(buffers, values)),
            _ => ((IArrowType)UInt64Type.Default, buffers.Copy(values)),
        };
        return Columns.Array(type, values.Length, Nulls, buffers, data);
    }
}

/// <summary>
/// A column of doubles (<see cref="DoubleColumn"/> describes the stored forms): while appending it
/// tracks the fewest decimal places that every value so far needs, so that building it either
/// scales once to integers or copies the doubles once.
/// </summary>
internal sealed class DoubleValues(bool nullable = false) : FixedWidthValues<double>(nullable)
{
    private long[] _scaled = new long[256];
    private int _exponent;

    public override void Clear()
    {
        Scratch.Trim(ref _scaled, Count);
        base.Clear();
        _exponent = 0;
    }

    public void Append(double value)
    {
        Add(value, valid: true);

        // A value that is a decimal with e places is one with any more places too (below 2^53),
        // so the column's exponent only ever rises; Build checks every value again at the end.
        while (_exponent <= DoubleColumn.MaxExponent && !DoubleColumn.Fits(value, _exponent))
        {
            _exponent++;
        }
    }

    /// <summary>The column and its name: <c>{name}_e{e}</c> for scaled integers, else <paramref name="name"/>.</summary>
    public (string Name, IArrowArray Array) Build(string name, MessageBuffers buffers)
    {
        var values = Values;
        if (_exponent <= DoubleColumn.MaxExponent && values.Length > 0)
        {
            if (_scaled.Length < values.Length)
            {
                _scaled = new long[values.Length];
            }

            var power = DoubleColumn.Power(_exponent);
            ulong magnitude = 0;
            var exact = true;
            for (var i = 0; i < values.Length && exact; i++)
            {
                exact = DoubleColumn.Fits(values[i], power, out var scaled);
                _scaled[i] = scaled;
                magnitude |= (ulong)(scaled ^ (scaled >> 63));
            }

            if (exact)
            {
                return ($"{name}_e{_exponent}", SignedColumn.Build(buffers, _scaled.AsSpan(0, values.Length), magnitude, Nulls));
            }
        }

        return (name, Columns.Array(DoubleType.Default, values.Length, Nulls, buffers, buffers.Copy(values)));
    }
}

/// <summary>A column of byte strings (or UTF-8 strings): offsets and the bytes, nullable or not.</summary>
internal sealed class BinaryColumn(bool nullable = false, bool utf8 = false)
{
    private readonly NullMask? _nulls = nullable ? new NullMask() : null;
    private int[] _offsets = new int[257];
    private byte[] _data = new byte[4096];
    private int _length;

    public int Count { get; private set; }

    public bool Nullable => _nulls is not null;

    public void Clear()
    {
        _nulls?.Clear(Count);
        Scratch.Trim(ref _offsets, Count + 1);
        Scratch.Trim(ref _data, _length);
        Count = 0;
        _length = 0;
    }

    /// <summary>Makes room for <paramref name="count"/> values of <paramref name="bytesEach"/> bytes at once.</summary>
    public void Reserve(int count, int bytesEach)
    {
        if (_offsets.Length < count + 1)
        {
            System.Array.Resize(ref _offsets, count + 1);
        }

        if (_data.Length < count * bytesEach)
        {
            System.Array.Resize(ref _data, count * bytesEach);
        }
    }

    public void Append(ReadOnlySpan<byte> value)
    {
        var row = Count;
        if ((uint)(row + 1) >= (uint)_offsets.Length)
        {
            Scratch.Grow(ref _offsets, row + 2);
        }

        if (_data.Length - _length < value.Length)
        {
            Scratch.Grow(ref _data, _length + value.Length);
        }

        value.CopyTo(_data.AsSpan(_length));
        _length += value.Length;
        _offsets[row + 1] = _length;
        _nulls?.Set(row, true);
        Count = row + 1;
    }

    /// <summary>Appends a value of <paramref name="length"/> bytes and returns them to fill.</summary>
    public Span<byte> AppendSpan(int length)
    {
        var row = Count;
        if ((uint)(row + 1) >= (uint)_offsets.Length)
        {
            Scratch.Grow(ref _offsets, row + 2);
        }

        if (_data.Length - _length < length)
        {
            Scratch.Grow(ref _data, _length + length);
        }

        var span = _data.AsSpan(_length, length);
        _length += length;
        _offsets[row + 1] = _length;
        _nulls?.Set(row, true);
        Count = row + 1;
        return span;
    }

    public void Append(string value)
    {
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_data.Length - _length < max)
        {
            Scratch.Grow(ref _data, _length + max);
        }

        var row = Count;
        if ((uint)(row + 1) >= (uint)_offsets.Length)
        {
            Scratch.Grow(ref _offsets, row + 2);
        }

        _length += System.Text.Encoding.UTF8.GetBytes(value, _data.AsSpan(_length));
        _offsets[row + 1] = _length;
        _nulls?.Set(row, true);
        Count = row + 1;
    }

    public void AppendNull()
    {
        var row = Count;
        if ((uint)(row + 1) >= (uint)_offsets.Length)
        {
            Scratch.Grow(ref _offsets, row + 2);
        }

        _offsets[row + 1] = _length;
        _nulls!.Set(row, false);
        Count = row + 1;
    }

    public IArrowArray Build(MessageBuffers buffers)
    {
        var validity = _nulls?.Build(buffers, Count) ?? ArrowBuffer.Empty;
        var offsets = buffers.Copy<int>(_offsets.AsSpan(0, Count + 1));
        var data = buffers.Copy<byte>(_data.AsSpan(0, _length));
        var type = utf8 ? (IArrowType)StringType.Default : BinaryType.Default;
        return ArrowArrayFactory.BuildArray(new ArrayData(type, Count, _nulls?.NullCount ?? 0, 0, [validity, offsets, data]));
    }
}

/// <summary>A column of booleans, one bit each.</summary>
internal sealed class BoolColumn
{
    private byte[] _bits = new byte[64];

    public int Count { get; private set; }

    public void Clear()
    {
        System.Array.Clear(_bits, 0, Math.Min(_bits.Length, (Count + 7) / 8));
        Scratch.Trim(ref _bits, (Count + 7) / 8);
        Count = 0;
    }

    public void Append(bool value)
    {
        var row = Count;
        if ((row >> 3) >= _bits.Length)
        {
            Scratch.Grow(ref _bits, (row >> 3) + 1);
        }

        if (value)
        {
            _bits[row >> 3] |= (byte)(1 << (row & 7));
        }

        Count = row + 1;
    }

    public IArrowArray Build(MessageBuffers buffers) =>
        new BooleanArray(buffers.Copy<byte>(_bits.AsSpan(0, (Count + 7) / 8)), ArrowBuffer.Empty, Count, 0, 0);
}

/// <summary>
/// A run-end encoded column of small integers (kinds, status codes): runs of equal values are
/// found while appending and stored as one value and the row where the run ends.
/// </summary>
internal sealed class RunEndColumn
{
    private int[] _ends = new int[16];
    private long[] _runs = new long[16];
    private int _count;
    private ulong _magnitude;

    public int Count => _count;

    public int Runs { get; private set; }

    public void Clear()
    {
        Scratch.Trim(ref _ends, Runs);
        Scratch.Trim(ref _runs, Runs);
        _count = 0;
        Runs = 0;
        _magnitude = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Append(int value)
    {
        if (Runs > 0 && _runs[Runs - 1] == value)
        {
            _ends[Runs - 1] = ++_count;
            return;
        }

        if (Runs == _ends.Length)
        {
            Scratch.Grow(ref _ends, Runs + 1);
            Scratch.Grow(ref _runs, Runs + 1);
        }

        _runs[Runs] = value;
        _magnitude |= (ulong)((long)value ^ ((long)value >> 63));
        _ends[Runs++] = ++_count;
    }

    /// <summary>Run ends are 16-bit when the column is short enough, else 32-bit; values take the narrowest width.</summary>
    public IArrowArray Build(MessageBuffers buffers)
    {
        IArrowArray ends;
        if (_count <= short.MaxValue)
        {
            ends = new Int16Array(Columns.Narrowed<int, short>(buffers, _ends.AsSpan(0, Runs)), ArrowBuffer.Empty, Runs, 0, 0);
        }
        else
        {
            ends = new Int32Array(buffers.Copy<int>(_ends.AsSpan(0, Runs)), ArrowBuffer.Empty, Runs, 0, 0);
        }

        return new RunEndEncodedArray(ends, SignedColumn.Build(buffers, _runs.AsSpan(0, Runs), _magnitude, null));
    }
}

/// <summary>Shared construction of fixed-width arrays.</summary>
internal static class Columns
{
    /// <summary>A buffer of <paramref name="values"/> converted to the narrower <typeparamref name="TTo"/> (every value fits).</summary>
    public static ArrowBuffer Narrowed<TFrom, TTo>(MessageBuffers buffers, ReadOnlySpan<TFrom> values)
        where TFrom : unmanaged, System.Numerics.IBinaryInteger<TFrom>
        where TTo : unmanaged, System.Numerics.IBinaryInteger<TTo>
    {
        var target = buffers.Rent<TTo>(values.Length, out var data);
        for (var i = 0; i < values.Length; i++)
        {
            target[i] = TTo.CreateTruncating(values[i]);
        }

        return data;
    }

    public static IArrowArray Array(IArrowType type, int length, NullMask? nulls, MessageBuffers buffers, ArrowBuffer values) =>
        ArrowArrayFactory.BuildArray(new ArrayData(type, length, nulls?.NullCount ?? 0, 0, [nulls?.Build(buffers, length) ?? ArrowBuffer.Empty, values]));
}
