using System.Numerics;
using Apache.Arrow;
using Apache.Arrow.Memory;
using Apache.Arrow.Types;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// Stores an integer column in the narrowest type of its signedness that holds every value of the
/// message: 8, 16, 32 or 64 bits. Dictionary indexes, counts, row offsets and most deltas then
/// take one or two bytes a value, which compresses far better than zero-padded 32- or 64-bit
/// words. Readers widen with <see cref="IntegerColumn{T}"/>.
/// </summary>
internal static class IntegerWidth
{
    /// <summary>The array in its narrowest integer type (disposing the original), or the array itself.</summary>
    public static IArrowArray Narrow(IArrowArray array, MemoryAllocator allocator) => array.Data.Offset != 0 ? array : array switch
    {
        Int64Array a => Signed(a, a.Values, allocator),
        Int32Array a => Signed(a, a.Values, allocator),
        UInt64Array a => Unsigned(a, a.Values, allocator),
        UInt32Array a => Unsigned(a, a.Values, allocator),
        _ => array,
    };

    private static IArrowArray Signed<T>(IArrowArray array, ReadOnlySpan<T> values, MemoryAllocator allocator)
        where T : struct, IBinaryInteger<T>, ISignedNumber<T>
    {
        long min = 0, max = 0;
        foreach (var value in values)
        {
            var v = long.CreateTruncating(value);
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        var width = min >= sbyte.MinValue && max <= sbyte.MaxValue ? 1
            : min >= short.MinValue && max <= short.MaxValue ? 2
            : min >= int.MinValue && max <= int.MaxValue ? 4 : 8;
        return width switch
        {
            _ when width >= System.Runtime.CompilerServices.Unsafe.SizeOf<T>() => array,
            1 => Rebuild(array, Int8Type.Default, Copy<T, sbyte>(values, allocator), allocator),
            2 => Rebuild(array, Int16Type.Default, Copy<T, short>(values, allocator), allocator),
            _ => Rebuild(array, Int32Type.Default, Copy<T, int>(values, allocator), allocator),
        };
    }

    private static IArrowArray Unsigned<T>(IArrowArray array, ReadOnlySpan<T> values, MemoryAllocator allocator)
        where T : struct, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        ulong max = 0;
        foreach (var value in values)
        {
            max = Math.Max(max, ulong.CreateTruncating(value));
        }

        var width = max <= byte.MaxValue ? 1 : max <= ushort.MaxValue ? 2 : max <= uint.MaxValue ? 4 : 8;
        return width switch
        {
            _ when width >= System.Runtime.CompilerServices.Unsafe.SizeOf<T>() => array,
            1 => Rebuild(array, UInt8Type.Default, Copy<T, byte>(values, allocator), allocator),
            2 => Rebuild(array, UInt16Type.Default, Copy<T, ushort>(values, allocator), allocator),
            _ => Rebuild(array, UInt32Type.Default, Copy<T, uint>(values, allocator), allocator),
        };
    }

    private static ArrowBuffer Copy<TFrom, TTo>(ReadOnlySpan<TFrom> values, MemoryAllocator allocator)
        where TFrom : struct, IBinaryInteger<TFrom>
        where TTo : struct, IBinaryInteger<TTo>
    {
        var buffer = new ArrowBuffer.Builder<TTo>(values.Length);
        foreach (var value in values)
        {
            buffer.Append(TTo.CreateTruncating(value));
        }

        return buffer.Build(allocator);
    }

    private static IArrowArray Rebuild(IArrowArray array, IArrowType type, ArrowBuffer values, MemoryAllocator allocator)
    {
        var data = array.Data;
        var validity = data.NullCount == 0
            ? ArrowBuffer.Empty
            : new ArrowBuffer.Builder<byte>().Append(data.Buffers[0].Span).Build(allocator);
        var narrowed = ArrowArrayFactory.BuildArray(new ArrayData(type, data.Length, data.NullCount, 0, [validity, values]));
        array.Dispose();
        return narrowed;
    }
}
