using Apache.Arrow;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// The reader's side of attributes: the stream's key and value dictionaries and the message's
/// shape table (<see cref="AttributeShapes"/>), with scratch reused by every attribute table.
/// </summary>
internal sealed class AttributeReader(StringDictionaryReader keys, KeyedStringDictionaryReader values, ReadScratch scratch)
{
    // The message's shape table, in the decoder's scratch (valid for the message): the key of each
    // row; each row's shape and shapes by number (first row, length), as local shape indexes.
    private uint[] _rowKey = [];
    private int[] _rowShape = [];
    private int[] _storageOrder = [];
    private int[] _shapeFirst = [];
    private int[] _shapeLength = [];
    private readonly Dictionary<uint, int> _shapeOf = [];
    private int _rows;

    /// <summary>Reads the message's shape table (none when the message has no attributes).</summary>
    public void Load(RecordBatch? shapes)
    {
        _shapeOf.Clear();
        _rows = shapes?.Length ?? 0;
        if (shapes is null)
        {
            return;
        }

        var shapeColumn = scratch.Widen(IntegerColumn<uint>.Of(shapes, "shape"), _rows);
        _rowKey = scratch.Widen(IntegerColumn<uint>.Of(shapes, "key"), _rows);
        _rowShape = scratch.Rent<int>(_rows);
        _storageOrder = scratch.Rent<int>(_rows);
        _shapeFirst = scratch.Rent<int>(_rows);
        _shapeLength = scratch.Rent<int>(_rows);
        var sortKeys = scratch.Rent<ulong>(_rows);
        for (var row = 0; row < _rows; row++)
        {
            var shape = shapeColumn[row];
            if (shape == 0 || (row > 0 && shape < shapeColumn[row - 1]))
            {
                throw new InvalidDataException($"Row {row} of the shape table has shape {shape}: shapes are numbered from 1, in order.");
            }

            if (row == 0 || shape != shapeColumn[row - 1])
            {
                _shapeFirst[_shapeOf.Count] = row;
                _shapeOf.Add(shape, _shapeOf.Count);
            }

            var local = _shapeOf.Count - 1;
            _shapeLength[local] = row - _shapeFirst[local] + 1;
            _rowShape[row] = local;
            sortKeys[row] = ((ulong)_rowKey[row] << 32) | (uint)row;
        }

        // Groups (rows) are stored by key, then shape and position.
        System.Array.Sort(sortKeys, 0, _rows);
        for (var i = 0; i < _rows; i++)
        {
            _storageOrder[i] = (int)(uint)sortKeys[i];
        }
    }

    /// <summary>
    /// Adds the attributes of an attribute table to <paramref name="parents"/>, in their original
    /// order. <paramref name="owner"/> is the parents' table (its <c>attributes_shape</c> column);
    /// <paramref name="attributes"/> gives a parent's attribute list.
    /// </summary>
    public void Read<TParent>(RecordBatch? table, RecordBatch? owner, TParent[] parents, Func<TParent, RepeatedField<KeyValue>> attributes)
    {
        if (owner is null)
        {
            if (table is not null && table.Length > 0)
            {
                throw new InvalidDataException("A message holds attributes but no rows for them.");
            }

            return;
        }

        var count = owner.Length;
        if (parents.Length < count)
        {
            throw new InvalidDataException($"A table of {count} rows has {parents.Length} parents.");
        }

        var shapes = scratch.Widen(IntegerColumn<uint>.Of(owner, "attributes_shape"), count);
        var groups = _shapeOf.Count;
        var parentsOf = scratch.Rent<int>(groups);
        var parentShape = scratch.Rent<int>(count);
        var parentRank = scratch.Rent<int>(count);
        System.Array.Clear(parentsOf, 0, groups);
        for (var p = 0; p < count; p++)
        {
            var shape = shapes[p];
            if (shape == 0)
            {
                parentShape[p] = -1;
                continue;
            }

            if (!_shapeOf.TryGetValue(shape, out var local))
            {
                throw new InvalidDataException($"Row {p} has attribute shape {shape}, which the message's shape table does not hold.");
            }

            parentShape[p] = local;
            parentRank[p] = parentsOf[local]++;
        }

        // Each group (a shape's position) holds one value per parent of the shape.
        var first = scratch.Rent<int>(_rows);
        long total = 0;
        for (var i = 0; i < _rows && total <= int.MaxValue; i++)
        {
            var row = _storageOrder[i];
            first[row] = (int)total;
            total += parentsOf[_rowShape[row]];
        }

        if (total != (table?.Length ?? 0))
        {
            throw new InvalidDataException($"The parents' shapes call for {total} attribute values; the table holds {table?.Length ?? 0}.");
        }

        if (total == 0)
        {
            return;
        }

        var reader = new AnyValueColumns.Reader(table!, "value_", null, scratch);
        for (var p = 0; p < count; p++)
        {
            var local = parentShape[p];
            if (local < 0)
            {
                continue;
            }

            var list = attributes(parents[p]);
            var start = _shapeFirst[local];
            var length = _shapeLength[local];
            if (list.Capacity < list.Count + length)
            {
                list.Capacity = list.Count + length;
            }

            var rank = parentRank[p];
            for (var row = start; row < start + length; row++)
            {
                var key = _rowKey[row];
                var kv = new KeyValue { Key = keys[key] };
                var value = reader.Get(first[row] + rank, values, key);
                if (value is not null)
                {
                    kv.Value = value;
                }

                list.Add(kv);
            }
        }
    }
}
