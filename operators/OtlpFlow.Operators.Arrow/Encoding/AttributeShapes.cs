using Apache.Arrow;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// Attribute shapes: a shape is the sequence of keys of one parent's attribute list (spans of one
/// kind of operation share it). Every parent row (span, event, log record, data point,
/// resource...) stores its shape's number, 0 for none; the attribute tables then need no parent,
/// key or position per attribute, only the values. Numbers are kept for the stream, so a parent
/// kind's shape column looks alike from one message to the next, but each message carries the
/// shapes it uses in a table of (shape, key) rows, shapes in number order and each shape's keys
/// in order: a message is read without earlier ones' shapes, and the encoder may forget its
/// numbers at any time. A key row of that table is a group of values (one position of one
/// shape); groups are stored in order of (key, shape, position), so the values of a key lie together.
/// </summary>
internal sealed class AttributeShapes
{
    // Shapes numbered beyond this are forgotten at the start of the next message.
    private const int MaxShapes = 4096;

    // The stream's shapes: keys of shape s at _keys[_start[s] .. + _length[s]].
    private uint[] _keys = new uint[256];
    private int[] _start = new int[64];
    private int[] _length = new int[64];
    private int[] _next = new int[64];
    private readonly Dictionary<int, int> _firstByHash = [];
    private int _keyRows;
    private int _count = 1;

    // The message's shapes: whether used, and the rank of each key row (stream numbering) among
    // the message's groups.
    private bool[] _used = new bool[64];
    private readonly List<int> _usedShapes = [];
    private int[] _rank = new int[256];
    private ulong[] _sortKeys = new ulong[256];
    private bool _ranked;
    private int _groups;
    private readonly UnsignedColumn _shapeColumn = new();
    private readonly UnsignedColumn _keyColumn = new();

    /// <summary>Shapes the message uses.</summary>
    public int Used => _usedShapes.Count;

    /// <summary>The first key row of <paramref name="shape"/> in the stream's numbering: a value's group is this + its position.</summary>
    public int Start(int shape) => _start[shape];

    /// <summary>Starts a message: no shape used yet; the stream's shapes are forgotten when there are too many.</summary>
    public void Clear()
    {
        foreach (var shape in _usedShapes)
        {
            _used[shape] = false;
        }

        _usedShapes.Clear();
        _ranked = false;
        if (_count > MaxShapes)
        {
            _firstByHash.Clear();
            _keyRows = 0;
            _count = 1;
        }
    }

    /// <summary>The number of the shape made of <paramref name="keys"/>, added when new; 0 for no keys.</summary>
    public int IdOf(ReadOnlySpan<uint> keys)
    {
        if (keys.IsEmpty)
        {
            return 0;
        }

        var hash = new HashCode();
        hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(keys));
        var hashCode = hash.ToHashCode();
        var head = _firstByHash.GetValueOrDefault(hashCode);
        for (var s = head; s != 0; s = _next[s])
        {
            if (keys.SequenceEqual(_keys.AsSpan(_start[s], _length[s])))
            {
                return Use(s);
            }
        }

        var id = _count++;
        if (id >= _start.Length)
        {
            Scratch.Grow(ref _start, id + 1);
            Scratch.Grow(ref _length, id + 1);
            Scratch.Grow(ref _next, id + 1);
            Scratch.Grow(ref _used, id + 1);
        }

        if (_keys.Length - _keyRows < keys.Length)
        {
            Scratch.Grow(ref _keys, _keyRows + keys.Length);
        }

        keys.CopyTo(_keys.AsSpan(_keyRows));
        _start[id] = _keyRows;
        _length[id] = keys.Length;
        _keyRows += keys.Length;
        _next[id] = head;
        _firstByHash[hashCode] = id;
        return Use(id);
    }

    private int Use(int shape)
    {
        if (!_used[shape])
        {
            _used[shape] = true;
            _usedShapes.Add(shape);
            _ranked = false;
        }

        return shape;
    }

    /// <summary>
    /// The message's groups: their number, and for each key row of a used shape (stream
    /// numbering) its place in storage order (by key, then shape and position).
    /// </summary>
    public ReadOnlySpan<int> Ranks(out int groups)
    {
        if (!_ranked)
        {
            if (_rank.Length < _keyRows)
            {
                _rank = new int[_keys.Length];
                _sortKeys = new ulong[_keys.Length];
            }

            // Stream key rows grow with the shape number and the position, so (key, row) is
            // (key, shape, position).
            _groups = 0;
            foreach (var shape in _usedShapes)
            {
                for (var i = 0; i < _length[shape]; i++)
                {
                    var row = _start[shape] + i;
                    _sortKeys[_groups++] = ((ulong)_keys[row] << 32) | (uint)row;
                }
            }

            System.Array.Sort(_sortKeys, 0, _groups);
            for (var i = 0; i < _groups; i++)
            {
                _rank[(int)(uint)_sortKeys[i]] = i;
            }

            _ranked = true;
        }

        groups = _groups;
        return _rank.AsSpan(0, _keyRows);
    }

    /// <summary>The message's shape table: a row per key of each shape it uses, shapes in number order.</summary>
    public RecordBatch Build(MessageBuffers buffers)
    {
        _usedShapes.Sort();
        _shapeColumn.Clear();
        _keyColumn.Clear();
        foreach (var shape in _usedShapes)
        {
            for (var i = 0; i < _length[shape]; i++)
            {
                _shapeColumn.Append((ulong)shape);
                _keyColumn.Append(_keys[_start[shape] + i]);
            }
        }

        return new TableBuilder(buffers)
            .Add("shape", _shapeColumn)
            .Add("key", _keyColumn)
            .Build(_shapeColumn.Count);
    }
}
