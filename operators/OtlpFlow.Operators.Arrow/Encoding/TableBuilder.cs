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

    /// <summary>Adds a column; integer columns are stored at the narrowest width that holds them.</summary>
    public TableBuilder Add(string name, IArrowArray array, bool nullable = false)
    {
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
        var ends = new Int32Array.Builder();
        var runs = new Int32Array.Builder();
        for (var i = 0; i < values.Length; i++)
        {
            if (i > 0 && values[i] != values[i - 1])
            {
                ends.Append(i);
                runs.Append(values[i - 1]);
            }
        }

        if (values.Length > 0)
        {
            ends.Append(values.Length);
            runs.Append(values[^1]);
        }

        return new RunEndEncodedArray(ends.Build(allocator), runs.Build(allocator));
    }

    /// <summary>Expands a run-end encoded column of 32-bit integers into one value per row.</summary>
    public static int[] ExpandRunEnds(IArrowArray array, int length)
    {
        var ree = (RunEndEncodedArray)array;
        var ends = ((Int32Array)ree.RunEnds).Values;
        var values = ((Int32Array)ree.Values).Values;
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
