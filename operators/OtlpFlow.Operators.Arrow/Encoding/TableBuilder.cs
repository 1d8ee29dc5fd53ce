using Apache.Arrow;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// Collects the columns of one table and makes the record batch. Columns come from the stream's
/// reusable column builders, written once into buffers rented for the message: integer columns at
/// the narrowest width that holds them, double columns of short decimals as scaled integers
/// (<see cref="DoubleColumn"/>).
/// </summary>
internal sealed class TableBuilder(MessageBuffers buffers)
{
    private readonly List<Field> _fields = [];
    private readonly List<IArrowArray> _arrays = [];

    public MessageBuffers Buffers => buffers;

    public TableBuilder Add(string name, SignedColumn column) => Add(name, column.Build(buffers), column.Nullable);

    public TableBuilder Add(string name, UnsignedColumn column) => Add(name, column.Build(buffers), column.Nullable);

    public TableBuilder Add(string name, BinaryColumn column) => Add(name, column.Build(buffers), column.Nullable);

    public TableBuilder Add(string name, BoolColumn column) => Add(name, column.Build(buffers));

    public TableBuilder Add(string name, RunEndColumn column) => Add(name, column.Build(buffers));

    public TableBuilder Add(string name, DoubleValues column)
    {
        var (stored, array) = column.Build(name, buffers);
        return Add(stored, array, column.Nullable);
    }

    private TableBuilder Add(string name, IArrowArray array, bool nullable = false)
    {
        _fields.Add(new Field(name, array.Data.DataType, nullable));
        _arrays.Add(array);
        return this;
    }

    public RecordBatch Build(int length) => new(new Schema(_fields, null), _arrays, length);

    /// <summary>Expands a run-end encoded column of 32-bit integers into one value per row.</summary>
    public static int[] ExpandRunEnds(IArrowArray array, int length)
    {
        var ree = (RunEndEncodedArray)array;
        var ends = new IntegerColumn<int>(ree.RunEnds);
        var values = new IntegerColumn<int>(ree.Values);
        var result = new int[length];
        var start = 0;
        for (var run = 0; run < ends.Length; run++)
        {
            var end = Math.Min(ends[run], length);
            result.AsSpan(start, end - start).Fill(values[run]);
            start = end;
        }

        return result;
    }
}
