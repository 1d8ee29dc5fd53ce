using Apache.Arrow;
using Google.Protobuf;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// The values of a binary column (ids) as <see cref="ByteString"/>s: the column's bytes are copied
/// once into one fresh array that every value wraps a slice of, instead of an array and a copy per
/// value. The array is never pooled or written again, so the wrapped values stay immutable.
/// </summary>
internal readonly struct ByteStringColumn
{
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly ReadOnlyMemory<int> _offsets;
    private readonly int _first;
    private readonly int _width;

    private ByteStringColumn(byte[] bytes, int width)
    {
        _bytes = bytes;
        _width = width;
        Length = bytes.Length / width;
    }

    /// <summary>Values of <paramref name="width"/> bytes each, back to back in <paramref name="bytes"/> (which is not copied).</summary>
    public static ByteStringColumn Fixed(byte[] bytes, int width) => new(bytes, width);

    public ByteStringColumn(BinaryArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        Length = array.Length;
        if (Length == 0)
        {
            return;
        }

        var offsets = array.ValueOffsets;
        if (offsets.Length < Length + 1)
        {
            throw new InvalidDataException("A binary column has fewer offsets than values.");
        }

        _first = offsets[0];
        var end = offsets[Length];
        var values = array.ValueBuffer.Span;
        if (_first < 0 || end < _first || end > values.Length)
        {
            throw new InvalidDataException("A binary column's offsets point outside its values.");
        }

        _bytes = values[_first..end].ToArray();
        _offsets = offsets[..(Length + 1)].ToArray();
    }

    public int Length { get; }

    /// <summary>The value of row <paramref name="row"/>; a null value is empty.</summary>
    public ByteString this[int row]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)row, (uint)Length, nameof(row));
            if (_width > 0)
            {
                return UnsafeByteOperations.UnsafeWrap(_bytes.Slice(row * _width, _width));
            }

            var offsets = _offsets.Span;
            var start = offsets[row] - _first;
            var end = offsets[row + 1] - _first;
            if (start < 0 || end < start || end > _bytes.Length)
            {
                throw new InvalidDataException("A binary column's offsets are not in order.");
            }

            return start == end ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(_bytes[start..end]);
        }
    }
}
