using Apache.Arrow;
using Google.Protobuf;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>The stream's key and value dictionaries and the message's shapes, which every attribute table of a message shares.</summary>
internal sealed class AttributeContext(StringDictionary keys, KeyedStringDictionary values, AttributeShapes shapes)
{
    public StringDictionary Keys => keys;

    public KeyedStringDictionary Values => values;

    public AttributeShapes Shapes => shapes;
}

/// <summary>
/// An attribute table: the typed values of the attributes of one kind of parent (spans, events,
/// resources...). Each parent row stores its attribute shape (<see cref="AttributeShapes"/>: the
/// keys of its list, in order), so a value needs no parent id, key or position of its own. Values
/// are sorted by (key, shape, position, parent): the values of one key lie together and compress,
/// and a reader finds the value at a shape's position for the k-th parent of that shape at that
/// group's first row + k (groups in <see cref="AttributeShapes.Ranks"/> order).
/// String values are indexes into their key's dictionary (<see cref="KeyedStringDictionary"/>).
/// </summary>
internal sealed class AttributeTable
{
    // The values as added, one array per field, reused from message to message.
    private int[] _group = new int[256];
    private byte[] _kind = new byte[256];
    private long[] _scalar = new long[256];
    private ByteString?[] _bytes = new ByteString?[16];
    private int _byteValues;
    private uint[] _keys = new uint[16];
    private int[] _order = new int[256];
    private int[] _groupStart = new int[64];
    private readonly AnyValueColumns _values = new();

    /// <summary>Attribute values added.</summary>
    public int Count { get; private set; }

    /// <summary>The shape of each parent row, in row order: the owner table's <c>attributes_shape</c> column.</summary>
    public UnsignedColumn Shapes { get; } = new();

    /// <summary>Forgets the rows of the previous message.</summary>
    public void Clear()
    {
        for (var i = 0; i < _byteValues; i++)
        {
            _bytes[i] = null;
        }

        Scratch.Trim(ref _group, Count);
        Scratch.Trim(ref _kind, Count);
        Scratch.Trim(ref _scalar, Count);
        Scratch.Trim(ref _order, Count);
        Count = 0;
        _byteValues = 0;
        Shapes.Clear();
    }

    /// <summary>Makes room for <paramref name="parents"/> parent rows and <paramref name="values"/> values at once.</summary>
    public void Reserve(int parents, int values)
    {
        Shapes.Reserve(parents);
        if (_group.Length < values)
        {
            System.Array.Resize(ref _group, values);
            System.Array.Resize(ref _kind, values);
            System.Array.Resize(ref _scalar, values);
        }
    }

    /// <summary>Adds the attributes of parent row <paramref name="parent"/>; every parent row is added, in order, with or without attributes.</summary>
    public void Add(uint parent, RepeatedField<KeyValue> attributes, AttributeContext context)
    {
        if (parent != (uint)Shapes.Count)
        {
            throw new InvalidOperationException($"Attributes of row {parent} added after {Shapes.Count} rows: every parent row must be added, in order.");
        }

        var n = attributes.Count;
        if (n == 0)
        {
            Shapes.Append(0);
            return;
        }

        if (_group.Length - Count < n)
        {
            Scratch.Grow(ref _group, Count + n);
            Scratch.Grow(ref _kind, Count + n);
            Scratch.Grow(ref _scalar, Count + n);
        }

        if (_keys.Length < n)
        {
            Scratch.Grow(ref _keys, n);
        }

        var keys = context.Keys;
        var values = context.Values;
        for (var i = 0; i < n; i++)
        {
            var kv = attributes[i];
            var key = keys.IndexOf(kv.Key);
            _keys[i] = key;
            var row = Count + i;
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
                        scalar = values.IndexOf(key, value.StringValue);
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

        var shape = context.Shapes.IdOf(_keys.AsSpan(0, n));
        Shapes.Append((ulong)shape);
        var first = context.Shapes.Start(shape);
        for (var i = 0; i < n; i++)
        {
            _group[Count + i] = first + i;
        }

        Count += n;
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

    /// <summary>The value table, values in (shape, position, parent) order.</summary>
    public RecordBatch Build(MessageBuffers buffers, AttributeShapes shapes)
    {
        // A counting sort: the groups are the key rows of the message's shape table, stored in
        // the order of their ranks, and rows were added in parent order.
        var rank = shapes.Ranks(out var groups);
        if (_groupStart.Length < groups + 1)
        {
            _groupStart = new int[Math.Max(groups + 1, _groupStart.Length * 2)];
        }

        var start = _groupStart.AsSpan(0, groups + 1);
        start.Clear();
        for (var row = 0; row < Count; row++)
        {
            start[rank[_group[row]] + 1]++;
        }

        for (var g = 1; g <= groups; g++)
        {
            start[g] += start[g - 1];
        }

        if (_order.Length < Count)
        {
            _order = new int[_group.Length];
        }

        for (var row = 0; row < Count; row++)
        {
            _order[start[rank[_group[row]]]++] = row;
        }

        _values.Clear();
        for (var i = 0; i < Count; i++)
        {
            var row = _order[i];
            var kind = _kind[row];
            var scalar = _scalar[row];
            _values.Append(new AnyValueColumns.Value(
                kind,
                (uint)scalar,
                scalar,
                BitConverter.Int64BitsToDouble(scalar),
                kind is AnyValueKind.Bytes or AnyValueKind.Nested ? _bytes[scalar] : null));
        }

        var table = new TableBuilder(buffers);
        _values.AddTo(table, "value_");
        return table.Build(Count);
    }
}
