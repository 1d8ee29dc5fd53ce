using System.Runtime.InteropServices;
using Apache.Arrow;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// Variable-length columns of a received message, checked before they are read. Apache.Arrow
/// reads a binary or string value where its offsets say, without checking them against the data
/// buffer, so a corrupt offset would read outside the message (a crash, or another message's
/// bytes); every offset is checked here once per column.
/// </summary>
internal static class CheckedColumns
{
    /// <summary>The binary (or UTF-8) column called <paramref name="name"/>, its offsets checked.</summary>
    /// <exception cref="InvalidDataException">The column is missing, of another type, or its offsets point outside its data.</exception>
    public static T Binary<T>(RecordBatch batch, string name) where T : BinaryArray
    {
        var array = batch.Column(name, StringComparer.Ordinal) as T
            ?? throw new InvalidDataException($"Column '{name}' is missing or not a {typeof(T).Name}.");
        var data = array.Data;
        if (data.Length == 0)
        {
            return array;
        }

        var end = (long)data.Offset + data.Length + 1;
        var offsetBytes = data.Buffers[1].Span;
        if (data.Offset < 0 || offsetBytes.Length / sizeof(int) < end)
        {
            throw new InvalidDataException($"Column '{name}' has fewer offsets than its {data.Length} values need.");
        }

        var offsets = MemoryMarshal.Cast<byte, int>(offsetBytes).Slice(data.Offset, data.Length + 1);
        var size = data.Buffers[2].Length;
        var previous = offsets[0];
        if (previous < 0 || previous > size)
        {
            throw new InvalidDataException($"Column '{name}' starts at offset {previous} of {size} bytes.");
        }

        for (var i = 1; i < offsets.Length; i++)
        {
            var offset = offsets[i];
            if (offset < previous || offset > size)
            {
                throw new InvalidDataException($"Value {i - 1} of column '{name}' ends at offset {offset}, outside {previous}..{size}.");
            }

            previous = offset;
        }

        if (data.NullCount > 0 && data.Buffers[0].Length * 8L < data.Offset + (long)data.Length)
        {
            throw new InvalidDataException($"Column '{name}' has a validity bitmap shorter than its values.");
        }

        return array;
    }
}
