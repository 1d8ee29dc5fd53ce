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
    // The message's shape table: key of each row; shapes by number (first row, length).
    private uint[] _rowKey = [];
    private int[] _rowShape = [];
    private int[] _storageOrder = [];
    private readonly Dictionary<uint, int> _shapeOf = [];
    private int[] _shapeFirst = [];
    private int[] _shapeLength = [];
    private int _rows;

    // Scratch of Read.
    private int[] _count = [];
    private int[] _base = [];
    private int[] _parentShape = [];
    private int[] _parentRank = [];

    /// <summary>Reads the message's shape table (none when the message has no attributes).</summary>
    public void Load(RecordBatch? shapes)
    {
        _shapeOf.Clear();
        _rows = shapes?.Length ?? 0;
        if (shapes is null)
        {
            return;
        }

        var shapeColumn = IntegerColumn<uint>.Of(shapes, "shape");
        var keyColumn = IntegerColumn<uint>.Of(shapes, "key");
        Ensure(ref _rowKey, _rows);
        Ensure(ref _rowShape, _rows);
        Ensure(ref _storageOrder, _rows);
        Ensure(ref _shapeFirst, _rows);
        Ensure(ref _shapeLength, _rows);
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
                _shapeOf.Add(shape, _shapeOf.Count);
                _shapeFirst[_shapeOf.Count - 1] = row;
            }

            var local = _shapeOf.Count - 1;
            _shapeLength[local] = row - _shapeFirst[local] + 1;
            _rowShape[row] = local;
            _rowKey[row] = keyColumn[row];
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
        Ensure(ref _count, groups);
        Ensure(ref _parentShape, count);
        Ensure(ref _parentRank, count);
        System.Array.Clear(_count, 0, groups);
        for (var p = 0; p < count; p++)
        {
            var shape = shapes[p];
            if (shape == 0)
            {
                _parentShape[p] = -1;
                continue;
            }

            if (!_shapeOf.TryGetValue(shape, out var local))
            {
                throw new InvalidDataException($"Row {p} has attribute shape {shape}, which the message's shape table does not hold.");
            }

            _parentShape[p] = local;
            _parentRank[p] = _count[local]++;
        }

        // Each group (a shape's position) holds one value per parent of the shape.
        Ensure(ref _base, _rows);
        var total = 0;
        for (var i = 0; i < _rows; i++)
        {
            var row = _storageOrder[i];
            _base[row] = total;
            total += _count[_rowShape[row]];
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
            var local = _parentShape[p];
            if (local < 0)
            {
                continue;
            }

            var list = attributes(parents[p]);
            var first = _shapeFirst[local];
            var length = _shapeLength[local];
            if (list.Capacity < list.Count + length)
            {
                list.Capacity = list.Count + length;
            }

            var rank = _parentRank[p];
            for (var row = first; row < first + length; row++)
            {
                var key = _rowKey[row];
                var kv = new KeyValue { Key = keys[key] };
                var value = reader.Get(_base[row] + rank, values, key);
                if (value is not null)
                {
                    kv.Value = value;
                }

                list.Add(kv);
            }
        }
    }

    private static void Ensure(ref int[] array, int length)
    {
        if (array.Length < length)
        {
            array = new int[Math.Max(length, array.Length * 2)];
        }
    }

    private static void Ensure(ref uint[] array, int length)
    {
        if (array.Length < length)
        {
            array = new uint[Math.Max(length, array.Length * 2)];
        }
    }
}
