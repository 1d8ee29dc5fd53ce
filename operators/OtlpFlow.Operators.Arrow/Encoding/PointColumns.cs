using System.Runtime.InteropServices;
using Apache.Arrow;
using Google.Protobuf;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Metrics.V1;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// The columns every kind of data point has: start and time (delta-encoded against the previous
/// point of the table), flags, exemplars and attributes. Exemplars are rare and nested, so they
/// are kept as serialized protobuf in a nullable bytes column.
/// </summary>
internal sealed class PointColumns
{
    private readonly SignedColumn _start = new();
    private readonly SignedColumn _time = new();
    private readonly UnsignedColumn _flags = new();
    private readonly BinaryColumn _exemplars = new(nullable: true);
    private ulong _previousStart;
    private ulong _previousTime;

    public int Count { get; private set; }

    public AttributeTable Attributes { get; } = new();

    /// <summary>Forgets the previous message's points; the columns are kept for the next.</summary>
    public void Clear()
    {
        _start.Clear();
        _time.Clear();
        _flags.Clear();
        _exemplars.Clear();
        _previousStart = 0;
        _previousTime = 0;
        Count = 0;
        Attributes.Clear();
    }

    public void Add(ulong start, ulong time, uint flags, RepeatedField<Exemplar> exemplars, RepeatedField<KeyValue> attributes, AttributeContext context)
    {
        var row = (uint)Count++;
        _start.Append(unchecked((long)(start - _previousStart)));
        _time.Append(unchecked((long)(time - _previousTime)));
        _previousStart = start;
        _previousTime = time;
        _flags.Append(flags);
        if (exemplars.Count > 0)
        {
            var holder = new NumberDataPoint();
            holder.Exemplars.Add(exemplars);
            _exemplars.Append(holder.ToByteString().Span);
        }
        else
        {
            _exemplars.AppendNull();
        }

        Attributes.Add(row, attributes, context);
    }

    public TableBuilder Start(MessageBuffers buffers) => new TableBuilder(buffers)
        .Add("start_delta", _start)
        .Add("time_delta", _time)
        .Add("flags", _flags)
        .Add("exemplars", _exemplars)
        .Add("attributes_shape", Attributes.Shapes);

    public void AddTables(MessageBuffers buffers, AttributeShapes shapes, List<(TableId, RecordBatch)> tables, TableId points, TableId attributes, TableBuilder table)
    {
        if (Count == 0)
        {
            return;
        }

        tables.Add((points, table.Build(Count)));
        if (Attributes.Count > 0)
        {
            tables.Add((attributes, Attributes.Build(buffers, shapes)));
        }
    }

    /// <summary>Appends 64-bit values packed little-endian (bucket counts, bounds) as one value of <paramref name="column"/>.</summary>
    public static void AppendPacked<T>(BinaryColumn column, RepeatedField<T> values) where T : unmanaged =>
        Pack(values, column.AppendSpan(values.Count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>()));

    private static void Pack<T>(RepeatedField<T> values, Span<byte> bytes) where T : unmanaged
    {
        var target = MemoryMarshal.Cast<byte, T>(bytes);
        for (var i = 0; i < values.Count; i++)
        {
            target[i] = values[i];
        }
    }

    /// <summary>Adds packed values back to a repeated field.</summary>
    public static void Unpack<T>(ReadOnlySpan<byte> bytes, RepeatedField<T> target) where T : unmanaged
    {
        var values = MemoryMarshal.Cast<byte, T>(bytes);
        if (target.Capacity < target.Count + values.Length)
        {
            target.Capacity = target.Count + values.Length;
        }

        foreach (var value in values)
        {
            target.Add(value);
        }
    }

    /// <summary>Reads the common point columns of a table.</summary>
    public sealed class Reader
    {
        // Widened once into scratch arrays: every row is read.
        private readonly long[] _start;
        private readonly long[] _time;
        private readonly uint[] _flags;
        private readonly BinaryArray _exemplars;
        private readonly bool _anyExemplars;
        private ulong _previousStart;
        private ulong _previousTime;

        public Reader(RecordBatch table, ReadScratch scratch)
        {
            Table = table;
            _start = scratch.Widen(IntegerColumn<long>.Of(table, "start_delta"), table.Length);
            _time = scratch.Widen(IntegerColumn<long>.Of(table, "time_delta"), table.Length);
            _flags = scratch.Widen(IntegerColumn<uint>.Of(table, "flags"), table.Length);
            _exemplars = CheckedColumns.Binary<BinaryArray>(table, "exemplars");
            _anyExemplars = _exemplars.NullCount < _exemplars.Length;
        }

        public RecordBatch Table { get; }

        /// <summary>Reads row <paramref name="row"/>; rows must be read in order.</summary>
        public (ulong Start, ulong Time, uint Flags) Next(int row, RepeatedField<Exemplar> exemplars)
        {
            _previousStart = unchecked(_previousStart + (ulong)_start[row]);
            _previousTime = unchecked(_previousTime + (ulong)_time[row]);
            if (_anyExemplars && !_exemplars.IsNull(row))
            {
                exemplars.Add(NumberDataPoint.Parser.ParseFrom(_exemplars.GetBytes(row)).Exemplars);
            }

            return (_previousStart, _previousTime, _flags[row]);
        }
    }

    /// <summary>The serialized form of optional doubles: null when absent.</summary>
    public static void AppendOptional(DoubleValues builder, bool has, double value)
    {
        if (has)
        {
            builder.Append(value);
        }
        else
        {
            builder.AppendNull();
        }
    }

    /// <summary>Appends an exponential histogram's buckets as [offset: 4 bytes][counts: 8 bytes each], or null.</summary>
    public static void AppendBuckets(BinaryColumn column, ExponentialHistogramDataPoint.Types.Buckets? buckets)
    {
        if (buckets is null)
        {
            column.AppendNull();
            return;
        }

        var bytes = column.AppendSpan(4 + (buckets.BucketCounts.Count * sizeof(ulong)));
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes, buckets.Offset);
        Pack(buckets.BucketCounts, bytes[4..]);
    }

    public static ExponentialHistogramDataPoint.Types.Buckets? UnpackBuckets(BinaryArray column, int row)
    {
        if (column.IsNull(row))
        {
            return null;
        }

        var bytes = column.GetBytes(row);
        var buckets = new ExponentialHistogramDataPoint.Types.Buckets { Offset = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes) };
        Unpack(bytes[4..], buckets.BucketCounts);
        return buckets;
    }
}
