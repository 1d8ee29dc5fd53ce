using Apache.Arrow;
using Apache.Arrow.Memory;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>Collects the columns of one table and makes the record batch.</summary>
internal sealed class TableBuilder
{
    private readonly List<Field> _fields = [];
    private readonly List<IArrowArray> _arrays = [];

    public TableBuilder(MemoryAllocator allocator) => Allocator = allocator;

    public MemoryAllocator Allocator { get; }

    /// <summary>
    /// Adds a column; integer columns are stored at the narrowest width that holds them, and double
    /// columns of short decimals as scaled integers (<see cref="DoubleColumn"/>).
    /// </summary>
    public TableBuilder Add(string name, IArrowArray array, bool nullable = false)
    {
        if (array is DoubleArray doubles)
        {
            (name, array) = DoubleColumn.Encode(name, doubles, Allocator);
        }

        array = IntegerWidth.Narrow(array, Allocator);
        _fields.Add(new Field(name, array.Data.DataType, nullable));
        _arrays.Add(array);
        return this;
    }

    public RecordBatch Build(int length) => new(new Schema(_fields, null), _arrays, length);

    /// <summary>
    /// Run-end encodes a column (for sorted or slowly changing low-cardinality values such as kind
    /// and status): runs of equal values become one value and the index where the run ends.
    /// </summary>
    public static RunEndEncodedArray RunEnds(ReadOnlySpan<int> values, MemoryAllocator allocator)
    {
        // Run ends may be 16, 32 or 64 bits wide; the values take the narrowest width that holds them.
        var shortEnds = values.Length <= short.MaxValue;
        var ends16 = new Int16Array.Builder();
        var ends32 = new Int32Array.Builder();
        var runs = new Int32Array.Builder();
        for (var i = 1; i <= values.Length; i++)
        {
            if (i == values.Length || values[i] != values[i - 1])
            {
                if (shortEnds) ends16.Append((short)i);
                else ends32.Append(i);
                runs.Append(values[i - 1]);
            }
        }

        IArrowArray ends = shortEnds ? ends16.Build(allocator) : ends32.Build(allocator);
        return new RunEndEncodedArray(ends, IntegerWidth.Narrow(runs.Build(allocator), allocator));
    }

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
