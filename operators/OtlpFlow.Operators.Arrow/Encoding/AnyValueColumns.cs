using Apache.Arrow;
using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// The typed value columns shared by attribute tables and log bodies: a type, a dictionary index
/// for strings, a 64-bit integer (also booleans), a double and bytes (also nested values).
/// </summary>
internal sealed class AnyValueColumns
{
    private readonly UnsignedColumn _type = new();
    private readonly UnsignedColumn _str = new(nullable: true);
    private readonly SignedColumn _int = new(nullable: true);
    private readonly DoubleValues _double = new(nullable: true);
    private readonly BinaryColumn _bytes = new(nullable: true);

    /// <summary>One value, already classified.</summary>
    public readonly record struct Value(byte Kind, uint Str, long Int, double Double, ByteString? Bytes);

    public static Value Classify(AnyValue? value, StringDictionary strings)
    {
        if (value is null)
        {
            return new Value(AnyValueKind.Absent, 0, 0, 0, null);
        }

        return value.ValueCase switch
        {
            AnyValue.ValueOneofCase.StringValue => new Value(AnyValueKind.String, strings.IndexOf(value.StringValue), 0, 0, null),
            AnyValue.ValueOneofCase.BoolValue => new Value(AnyValueKind.Bool, 0, value.BoolValue ? 1 : 0, 0, null),
            AnyValue.ValueOneofCase.IntValue => new Value(AnyValueKind.Int, 0, value.IntValue, 0, null),
            AnyValue.ValueOneofCase.DoubleValue => new Value(AnyValueKind.Double, 0, 0, value.DoubleValue, null),
            AnyValue.ValueOneofCase.BytesValue => new Value(AnyValueKind.Bytes, 0, 0, 0, value.BytesValue),
            AnyValue.ValueOneofCase.ArrayValue or AnyValue.ValueOneofCase.KvlistValue => new Value(AnyValueKind.Nested, 0, 0, 0, value.ToByteString()),
            _ => new Value(AnyValueKind.Empty, 0, 0, 0, null),
        };
    }

    public void Append(in Value value)
    {
        _type.Append(value.Kind);
        if (value.Kind == AnyValueKind.String)
        {
            _str.Append(value.Str);
        }
        else
        {
            _str.AppendNull();
        }

        if (value.Kind is AnyValueKind.Int or AnyValueKind.Bool)
        {
            _int.Append(value.Int);
        }
        else
        {
            _int.AppendNull();
        }

        if (value.Kind == AnyValueKind.Double)
        {
            _double.Append(value.Double);
        }
        else
        {
            _double.AppendNull();
        }

        if (value.Bytes is not null)
        {
            _bytes.Append(value.Bytes.Span);
        }
        else
        {
            _bytes.AppendNull();
        }
    }

    public void Clear()
    {
        _type.Clear();
        _str.Clear();
        _int.Clear();
        _double.Clear();
        _bytes.Clear();
    }

    public void AddTo(TableBuilder table, string prefix)
    {
        table.Add(prefix + "type", _type)
            .Add(prefix + "str", _str)
            .Add(prefix + "int", _int)
            .Add(prefix + "double", _double)
            .Add(prefix + "bytes", _bytes);
    }

    /// <summary>Reads the value columns with the given name prefix.</summary>
    public sealed class Reader
    {
        // The types, string indexes and integers are widened once into scratch arrays (every row is
        // read); doubles and bytes are read from the message's memory, and copied only when a value is made.
        private readonly byte[] _types;
        private readonly uint[] _str;
        private readonly long[] _int;
        private readonly DoubleColumn _double;
        private readonly BinaryArray _bytes;
        private readonly StringDictionaryReader? _strings;
        private readonly int _length;

        public Reader(RecordBatch batch, string prefix, StringDictionaryReader? strings, ReadScratch scratch)
        {
            _length = batch.Length;
            var types = ((UInt8Array)batch.Column(prefix + "type", StringComparer.Ordinal)).Values;
            if (types.Length < _length)
            {
                throw new InvalidDataException($"Column '{prefix}type' holds {types.Length} values; its table has {_length} rows.");
            }

            _types = scratch.Rent<byte>(_length);
            types[.._length].CopyTo(_types);
            _str = scratch.Widen(IntegerColumn<uint>.Of(batch, prefix + "str"), _length);
            _int = scratch.Widen(IntegerColumn<long>.Of(batch, prefix + "int"), _length);
            _double = DoubleColumn.Of(batch, prefix + "double");
            _bytes = CheckedColumns.Binary<BinaryArray>(batch, prefix + "bytes");
            _strings = strings;
        }

        /// <summary>The value type of every row.</summary>
        public ReadOnlySpan<byte> Kinds => _types.AsSpan(0, _length);

        public byte Kind(int row) => Kinds[row];

        public uint Str(int row) => _str[row];

        public long Int(int row) => _int[row];

        public double Double(int row) => _double[row];

        /// <summary>The value of a row whose strings are in the reader's dictionary (log bodies).</summary>
        public AnyValue? Get(int row) => Kind(row) == AnyValueKind.String
            ? new AnyValue { StringValue = (_strings ?? throw new InvalidOperationException("No string dictionary."))[Str(row)] }
            : GetOther(row);

        /// <summary>The value of an attribute row: strings are in <paramref name="key"/>'s dictionary.</summary>
        public AnyValue? Get(int row, KeyedStringDictionaryReader values, uint key) => Kind(row) == AnyValueKind.String
            ? new AnyValue { StringValue = values[key, Str(row)] }
            : GetOther(row);

        private AnyValue? GetOther(int row) => Kind(row) switch
        {
            AnyValueKind.Absent => null,
            AnyValueKind.Empty => new AnyValue(),
            AnyValueKind.Bool => new AnyValue { BoolValue = Int(row) != 0 },
            AnyValueKind.Int => new AnyValue { IntValue = Int(row) },
            AnyValueKind.Double => new AnyValue { DoubleValue = Double(row) },
            AnyValueKind.Bytes => new AnyValue { BytesValue = ByteString.CopyFrom(_bytes.GetBytes(row)) },
            AnyValueKind.Nested => AnyValue.Parser.ParseFrom(_bytes.GetBytes(row)),
            var other => throw new InvalidDataException($"Unknown value type {other}."),
        };
    }
}
