using Apache.Arrow;
using Apache.Arrow.Memory;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// An attribute table: one row per attribute with its parent's row id, key, position in the
/// parent's list and typed value. Rows are sorted by (type, key, parent) so that equal
/// keys lie together and compress; the parent id and the position in the parent's list are
/// delta-encoded inside each run of equal (type, key) and absolute at the start of a run (a key
/// tends to sit at the same position in every parent, so most position deltas are 0). (Sorting by value too turns string columns into
/// runs but scatters the parents; on generated traces that cost more than it saved.)
/// </summary>
internal sealed class AttributeTable
{
    private readonly List<Row> _rows = [];

    private readonly record struct Row(uint Parent, uint Key, uint Ordinal, AnyValueColumns.Value Value);

    public int Count => _rows.Count;

    public void Add(uint parent, RepeatedField<KeyValue> attributes, StringDictionary keys, StringDictionary values)
    {
        for (var i = 0; i < attributes.Count; i++)
        {
            var kv = attributes[i];
            _rows.Add(new Row(parent, keys.IndexOf(kv.Key), (uint)i, AnyValueColumns.Classify(kv.Value, values)));
        }
    }

    public RecordBatch Build(MemoryAllocator allocator)
    {
        var rows = Sorted();

        var parent = new UInt32Array.Builder().Reserve(rows.Length);
        var key = new UInt32Array.Builder().Reserve(rows.Length);
        var ordinal = new Int32Array.Builder().Reserve(rows.Length);
        var values = new AnyValueColumns();
        for (var i = 0; i < rows.Length; i++)
        {
            ref readonly var row = ref rows[i];
            var sameRun = i > 0 && SameRun(rows[i - 1], row);
            parent.Append(sameRun ? row.Parent - rows[i - 1].Parent : row.Parent);
            key.Append(row.Key);
            ordinal.Append(sameRun ? (int)row.Ordinal - (int)rows[i - 1].Ordinal : (int)row.Ordinal);
            values.Append(row.Value);
        }

        var table = new TableBuilder(allocator)
            .Add("parent_id", parent.Build(allocator))
            .Add("key", key.Build(allocator))
            .Add("ordinal", ordinal.Build(allocator));
        values.AddTo(table, "value_");
        return table.Build(rows.Length);
    }

    /// <summary>
    /// The rows sorted by (type, key, parent, position). Rows are added parent by parent, each
    /// parent's attributes in order, so ordering by (type, key) and then by when a row was added
    /// gives the same order: as one 64-bit number per row, sorted without a comparer.
    /// </summary>
    private Row[] Sorted()
    {
        var rows = _rows.ToArray();
        var order = new ulong[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            ref readonly var row = ref rows[i];
            var inOrder = i == 0 || (row.Parent, row.Ordinal).CompareTo((rows[i - 1].Parent, rows[i - 1].Ordinal)) > 0;
            if (row.Key >= 1 << 24 || !inOrder)
            {
                // Beyond what the packed number holds: sort with a comparer.
                System.Array.Sort(rows, static (a, b) =>
                {
                    var c = a.Value.Kind.CompareTo(b.Value.Kind);
                    if (c == 0) c = a.Key.CompareTo(b.Key);
                    if (c == 0) c = a.Parent.CompareTo(b.Parent);
                    if (c == 0) c = a.Ordinal.CompareTo(b.Ordinal);
                    return c;
                });
                return rows;
            }

            order[i] = ((ulong)row.Value.Kind << 56) | ((ulong)row.Key << 32) | (uint)i;
        }

        System.Array.Sort(order);
        var sorted = new Row[rows.Length];
        for (var i = 0; i < sorted.Length; i++)
        {
            sorted[i] = rows[(int)(uint)order[i]];
        }

        return sorted;
    }

    private static bool SameRun(in Row a, in Row b) => a.Value.Kind == b.Value.Kind && a.Key == b.Key;

    /// <summary>
    /// Adds the attributes of a table to their parents, in their original order.
    /// <paramref name="attributes"/> gives the attribute list of a parent; a row's parent id indexes
    /// <paramref name="parents"/>.
    /// </summary>
    /// <remarks>
    /// The rows are put back in (parent, position) order by a counting sort: each parent's rows take
    /// the slots after the previous parents', at their position in its list. Only input whose
    /// positions are not 0..n-1 within a parent (written by no encoder) needs a comparison sort.
    /// </remarks>
    public static void Read<TParent>(RecordBatch? batch, StringDictionaryReader keys, StringDictionaryReader strings, ReadScratch scratch,
        TParent[] parents, Func<TParent, RepeatedField<KeyValue>> attributes)
    {
        if (batch is null || batch.Length == 0)
        {
            return;
        }

        var length = batch.Length;
        var parent = scratch.Widen(IntegerColumn<uint>.Of(batch, "parent_id"), length);
        var key = scratch.Widen(IntegerColumn<uint>.Of(batch, "key"), length);
        var ordinal = scratch.Widen(IntegerColumn<int>.Of(batch, "ordinal"), length);
        var values = new AnyValueColumns.Reader(batch, "value_", strings, scratch);
        var kinds = values.Kinds;

        // Parent ids and positions are deltas within a run of equal (type, key); undo that in place.
        for (var i = 1; i < length; i++)
        {
            if (kinds[i] == kinds[i - 1] && key[i] == key[i - 1])
            {
                parent[i] = unchecked(parent[i - 1] + parent[i]);
                ordinal[i] = unchecked(ordinal[i - 1] + ordinal[i]);
            }
        }

        // start[p] is the first slot of parent p's rows, start[p + 1] the first after them.
        var start = scratch.Rent<int>(parents.Length + 1);
        System.Array.Clear(start, 0, parents.Length + 1);
        for (var i = 0; i < length; i++)
        {
            if (parent[i] >= (uint)parents.Length)
            {
                throw new InvalidDataException($"An attribute belongs to row {parent[i]}; its table has {parents.Length}.");
            }

            start[parent[i] + 1]++;
        }

        for (var p = 0; p < parents.Length; p++)
        {
            start[p + 1] += start[p];
        }

        var order = scratch.Rent<int>(length);
        System.Array.Fill(order, -1, 0, length);
        for (var i = 0; i < length; i++)
        {
            var first = start[parent[i]];
            if ((uint)ordinal[i] >= (uint)(start[parent[i] + 1] - first) || order[first + ordinal[i]] >= 0)
            {
                SortByParentAndPosition(parent, ordinal, order, length, scratch);
                break;
            }

            order[first + ordinal[i]] = i;
        }

        for (var p = 0; p < parents.Length; p++)
        {
            var count = start[p + 1] - start[p];
            if (count == 0)
            {
                continue;
            }

            var target = attributes(parents[p]);
            if (target.Capacity < target.Count + count)
            {
                target.Capacity = target.Count + count;
            }

            for (var k = start[p]; k < start[p + 1]; k++)
            {
                var row = order[k];
                var kv = new KeyValue { Key = keys[key[row]] };
                var value = values.Get(row);
                if (value is not null)
                {
                    kv.Value = value;
                }

                target.Add(kv);
            }
        }
    }

    /// <summary>The rows' order by (parent, position) with a comparison sort, for positions that are not 0..n-1.</summary>
    private static void SortByParentAndPosition(uint[] parent, int[] ordinal, int[] order, int length, ReadScratch scratch)
    {
        var keys = scratch.Rent<long>(length);
        for (var i = 0; i < length; i++)
        {
            keys[i] = ((long)parent[i] << 32) | (uint)ordinal[i];
            order[i] = i;
        }

        System.Array.Sort(keys, order, 0, length);
    }
}
