using System.Buffers;
using System.Numerics;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// Working arrays of one message's decode (widened columns, sort orders), borrowed from the shared
/// array pools and given back together when the message is done. They hold nothing the decoded
/// requests keep, so the pools' arrays never leak into the output. Not thread-safe.
/// </summary>
internal sealed class ReadScratch
{
    private readonly List<Array> _rented = [];

    /// <summary>An array of at least <paramref name="length"/> values with unspecified contents.</summary>
    public T[] Rent<T>(int length)
    {
        var array = ArrayPool<T>.Shared.Rent(Math.Max(length, 1));
        _rented.Add(array);
        return array;
    }

    /// <summary>
    /// The first <paramref name="length"/> values of an integer column, widened into a borrowed
    /// array (which may be longer: index it below <paramref name="length"/> only).
    /// </summary>
    /// <exception cref="InvalidDataException">The column holds fewer than <paramref name="length"/> values.</exception>
    public T[] Widen<T>(IntegerColumn<T> column, int length) where T : struct, IBinaryInteger<T>
    {
        if (column.Length < length)
        {
            throw new InvalidDataException($"A column holds {column.Length} values; its table has {length} rows.");
        }

        var array = Rent<T>(column.Length);
        column.CopyTo(array);
        return array;
    }

    /// <summary>Gives every borrowed array back; none may be used afterwards.</summary>
    public void Return()
    {
        foreach (var array in _rented)
        {
            switch (array)
            {
                case byte[] a: ArrayPool<byte>.Shared.Return(a); break;
                case int[] a: ArrayPool<int>.Shared.Return(a); break;
                case uint[] a: ArrayPool<uint>.Shared.Return(a); break;
                case long[] a: ArrayPool<long>.Shared.Return(a); break;
                case ulong[] a: ArrayPool<ulong>.Shared.Return(a); break;
                default: throw new InvalidOperationException($"No pool for {array.GetType()}.");
            }
        }

        _rented.Clear();
    }
}
