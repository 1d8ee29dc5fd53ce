using Apache.Arrow;
using Google.Protobuf;
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
    // Kinds as small numbers for the (type, key) group table; Absent (255) sorts last.
    private const int KindSlots = 8;

    // Keys below this use a flat group table; larger keys (huge dictionaries) a hash table.
    private const int FlatKeys = 4096;

    // The rows as added, one array per field, reused from message to message.
    private uint[] _parent = new uint[256];
    private uint[] _key = new uint[256];
    private int[] _ordinal = new int[256];
    private byte[] _kind = new byte[256];
    private long[] _scalar = new long[256];
    private ByteString?[] _bytes = new ByteString?[16];
    private int _byteValues;

    // Grouping by (type, key): group of each row, rows of each group, the sorted order.
    private int[] _group = new int[256];
    private int[] _order = new int[256];
    private int[] _groupOf = new int[64];
    private readonly Dictionary<ulong, int> _largeGroups = [];
    private readonly List<int> _touched = [];
    private ulong[] _groupKeys = new ulong[16];
    private int[] _groupIds = new int[16];
    private int[] _groupStart = new int[16];

    private readonly UnsignedColumn _parentColumn = new();
    private readonly UnsignedColumn _keyColumn = new();
    private readonly SignedColumn _ordinalColumn = new();
    private readonly AnyValueColumns _values = new();

    public int Count { get; private set; }

    /// <summary>Forgets the rows of the previous message.</summary>
    public void Clear()
    {
        for (var i = 0; i < _byteValues; i++)
        {
            _bytes[i] = null;
        }

        Scratch.Trim(ref _parent, Count);
        Scratch.Trim(ref _key, Count);
        Scratch.Trim(ref _ordinal, Count);
        Scratch.Trim(ref _kind, Count);
        Scratch.Trim(ref _scalar, Count);
        Scratch.Trim(ref _group, Count);
        Scratch.Trim(ref _order, Count);
        Count = 0;
        _byteValues = 0;
    }

    public void Add(uint parent, RepeatedField<KeyValue> attributes, StringDictionary keys, StringDictionary values)
    {
        var n = attributes.Count;
        if (_parent.Length - Count < n)
        {
            Grow(Count + n);
        }

        for (var i = 0; i < n; i++)
        {
            var kv = attributes[i];
            var row = Count++;
            _parent[row] = parent;
            _key[row] = keys.IndexOf(kv.Key);
            _ordinal[row] = i;
            var value = kv.Value;
            byte kind;
            long scalar = 0;
            if (value is null)
            {
                kind = AnyValueKind.Absent;
            }
            else
            {
                switch (value.ValueCase)
                {
                    case AnyValue.ValueOneofCase.StringValue:
                        kind = AnyValueKind.String;
                        scalar = values.IndexOf(value.StringValue);
                        break;
                    case AnyValue.ValueOneofCase.IntValue:
                        kind = AnyValueKind.Int;
                        scalar = value.IntValue;
                        break;
                    case AnyValue.ValueOneofCase.DoubleValue:
                        kind = AnyValueKind.Double;
                        scalar = BitConverter.DoubleToInt64Bits(value.DoubleValue);
                        break;
                    case AnyValue.ValueOneofCase.BoolValue:
                        kind = AnyValueKind.Bool;
                        scalar = value.BoolValue ? 1 : 0;
                        break;
                    case AnyValue.ValueOneofCase.BytesValue:
                        kind = AnyValueKind.Bytes;
                        scalar = AddBytes(value.BytesValue);
                        break;
                    case AnyValue.ValueOneofCase.ArrayValue or AnyValue.ValueOneofCase.KvlistValue:
                        kind = AnyValueKind.Nested;
                        scalar = AddBytes(value.ToByteString());
                        break;
                    default:
                        kind = AnyValueKind.Empty;
                        break;
                }
            }

            _kind[row] = kind;
            _scalar[row] = scalar;
        }
    }

    private int AddBytes(ByteString bytes)
    {
        if (_byteValues == _bytes.Length)
        {
            Scratch.Grow(ref _bytes, _byteValues + 1);
        }

        _bytes[_byteValues] = bytes;
        return _byteValues++;
    }

    private void Grow(int needed)
    {
        Scratch.Grow(ref _parent, needed);
        Scratch.Grow(ref _key, needed);
        Scratch.Grow(ref _ordinal, needed);
        Scratch.Grow(ref _kind, needed);
        Scratch.Grow(ref _scalar, needed);
    }

    public RecordBatch Build(MessageBuffers buffers)
    {
        var order = Sorted();
        _parentColumn.Clear();
        _keyColumn.Clear();
        _ordinalColumn.Clear();
        _values.Clear();
        var previous = -1;
        for (var i = 0; i < order.Length; i++)
        {
            var row = order[i];
            var sameRun = previous >= 0 && _group[row] == _group[previous];
            _parentColumn.Append(sameRun ? _parent[row] - _parent[previous] : _parent[row]);
            _keyColumn.Append(_key[row]);
            _ordinalColumn.Append(sameRun ? _ordinal[row] - _ordinal[previous] : _ordinal[row]);
            var kind = _kind[row];
            var scalar = _scalar[row];
            _values.Append(new AnyValueColumns.Value(
                kind,
                (uint)scalar,
                scalar,
                BitConverter.Int64BitsToDouble(scalar),
                kind is AnyValueKind.Bytes or AnyValueKind.Nested ? _bytes[scalar] : null));
            previous = row;
        }

        var table = new TableBuilder(buffers)
            .Add("parent_id", _parentColumn)
            .Add("key", _keyColumn)
            .Add("ordinal", _ordinalColumn);
        _values.AddTo(table, "value_");
        return table.Build(order.Length);
    }

    /// <summary>
    /// The rows in order of (type, key), and within a (type, key) in the order they were added:
    /// rows are added parent by parent, each parent's attributes in order, so that is the order of
    /// (type, key, parent, position). A counting sort over the few (type, key) groups of a message.
    /// </summary>
    private ReadOnlySpan<int> Sorted()
    {
        if (_group.Length < Count)
        {
            _group = new int[_parent.Length];
            _order = new int[_parent.Length];
        }

        var groups = 0;
        for (var row = 0; row < Count; row++)
        {
            var key = _key[row];
            var slot = _kind[row] == AnyValueKind.Absent ? KindSlots - 1 : _kind[row];
            int group;
            if (key < FlatKeys)
            {
                var index = (int)(key * KindSlots) + slot;
                if (index >= _groupOf.Length)
                {
                    Scratch.Grow(ref _groupOf, index + 1);
                }

                group = _groupOf[index] - 1;
                if (group < 0)
                {
                    group = NewGroup(ref groups, key, row);
                    _groupOf[index] = group + 1;
                    _touched.Add(index);
                }
            }
            else
            {
                var packed = ((ulong)key * KindSlots) + (ulong)slot;
                if (!_largeGroups.TryGetValue(packed, out group))
                {
                    group = NewGroup(ref groups, key, row);
                    _largeGroups.Add(packed, group);
                }
            }

            _group[row] = group;
            _groupStart[group]++;
        }

        foreach (var index in _touched)
        {
            _groupOf[index] = 0;
        }

        _touched.Clear();
        _largeGroups.Clear();

        // Groups in (type, key) order; then each group's first row in the output.
        System.Array.Sort(_groupKeys, _groupIds, 0, groups);
        var next = 0;
        for (var i = 0; i < groups; i++)
        {
            var group = _groupIds[i];
            var size = _groupStart[group];
            _groupStart[group] = next;
            next += size;
        }

        for (var row = 0; row < Count; row++)
        {
            _order[_groupStart[_group[row]]++] = row;
        }

        System.Array.Clear(_groupStart, 0, groups);
        return _order.AsSpan(0, Count);
    }

    private int NewGroup(ref int groups, uint key, int row)
    {
        var group = groups++;
        if (group == _groupKeys.Length)
        {
            Scratch.Grow(ref _groupKeys, groups);
            Scratch.Grow(ref _groupIds, groups);
            Scratch.Grow(ref _groupStart, groups);
        }

        // Ordered by the type byte itself (Absent last), then the key.
        _groupKeys[group] = ((ulong)_kind[row] << 32) | key;
        _groupIds[group] = group;
        _groupStart[group] = 0;
        return group;
    }

    /// <summary>
    /// Adds the attributes of a table to their parents, in their original order.
    /// <paramref name="target"/> gives the attribute list of a parent row id.
    /// </summary>
    public static void Read(RecordBatch? batch, StringDictionaryReader keys, StringDictionaryReader strings, Func<uint, RepeatedField<KeyValue>> target)
    {
        if (batch is null || batch.Length == 0)
        {
            return;
        }

        var length = batch.Length;
        var parentDelta = IntegerColumn<uint>.Of(batch, "parent_id");
        var keyColumn = IntegerColumn<uint>.Of(batch, "key");
        var ordinals = IntegerColumn<int>.Of(batch, "ordinal");
        var values = new AnyValueColumns.Reader(batch, "value_", strings);

        var order = new long[length];
        var index = new int[length];
        uint previousParent = 0;
        var previousOrdinal = 0;
        for (var i = 0; i < length; i++)
        {
            var sameRun = i > 0 && values.Kind(i) == values.Kind(i - 1) && keyColumn[i] == keyColumn[i - 1];
            var parent = sameRun ? previousParent + parentDelta[i] : parentDelta[i];
            var ordinal = sameRun ? previousOrdinal + ordinals[i] : ordinals[i];
            previousParent = parent;
            previousOrdinal = ordinal;
            order[i] = ((long)parent << 32) | (uint)ordinal;
            index[i] = i;
        }

        System.Array.Sort(order, index);
        for (var i = 0; i < length; i++)
        {
            var row = index[i];
            var parent = (uint)(order[i] >> 32);
            var kv = new KeyValue { Key = keys[keyColumn[row]] };
            var value = values.Get(row);
            if (value is not null)
            {
                kv.Value = value;
            }

            target(parent).Add(kv);
        }
    }
}
