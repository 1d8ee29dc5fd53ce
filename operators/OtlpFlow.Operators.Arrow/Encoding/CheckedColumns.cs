using System.Runtime.InteropServices;
using Apache.Arrow;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// The columns of a received message, checked when its sections are read. Apache.Arrow reads a
/// binary or string value where its offsets say, without checking them against the data buffer,
/// so a corrupt offset would read outside the message (a crash, or another message's bytes):
/// <see cref="Validate(RecordBatch)"/> checks every offset of every variable-length column once, before any
/// value is read, and <see cref="Binary{T}"/> then hands such columns out by name and type.
/// </summary>
internal static class CheckedColumns
{
    /// <summary>Checks the offsets of every binary and string column of a table read from a message.</summary>
    /// <exception cref="InvalidDataException">An offset points outside its column's data.</exception>
    public static void Validate(RecordBatch batch)
    {
        for (var i = 0; i < batch.ColumnCount; i++)
        {
            if (batch.Column(i) is BinaryArray array)
            {
                Validate(array, batch.Schema.GetFieldByIndex(i).Name);
            }
        }
    }

    /// <summary>The binary (or UTF-8) column called <paramref name="name"/> of a validated table.</summary>
    /// <exception cref="InvalidDataException">The column is missing or of another type.</exception>
    public static T Binary<T>(RecordBatch batch, string name) where T : BinaryArray =>
        batch.Column(name, StringComparer.Ordinal) as T
            ?? throw new InvalidDataException($"Column '{name}' is missing or not a {typeof(T).Name}.");

    private static void Validate(BinaryArray array, string name)
    {
        var data = array.Data;
        if (data.Length == 0)
        {
            return;
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
    }
}
