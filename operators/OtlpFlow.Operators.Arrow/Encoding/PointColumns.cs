using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Memory;
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
    private readonly Int64Array.Builder _start = new();
    private readonly Int64Array.Builder _time = new();
    private readonly UInt32Array.Builder _flags = new();
    private readonly BinaryArray.Builder _exemplars = new();
    private ulong _previousStart;
    private ulong _previousTime;

    public int Count { get; private set; }

    public AttributeTable Attributes { get; } = new();

    public void Add(ulong start, ulong time, uint flags, RepeatedField<Exemplar> exemplars, RepeatedField<KeyValue> attributes, StringDictionary keys, StringDictionary values)
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

        Attributes.Add(row, attributes, keys, values);
    }

    public TableBuilder Start(MemoryAllocator allocator) => new TableBuilder(allocator)
        .Add("start_delta", _start.Build(allocator))
        .Add("time_delta", _time.Build(allocator))
        .Add("flags", _flags.Build(allocator))
        .Add("exemplars", _exemplars.Build(allocator), nullable: true);

    public void AddTables(MemoryAllocator allocator, List<(TableId, RecordBatch)> tables, TableId points, TableId attributes, TableBuilder table)
    {
        if (Count == 0)
        {
            return;
        }

        tables.Add((points, table.Build(Count)));
        if (Attributes.Count > 0)
        {
            tables.Add((attributes, Attributes.Build(allocator)));
        }
    }

    /// <summary>Packs 64-bit values little-endian, for bucket counts, bounds and quantiles.</summary>
    public static byte[] Pack<T>(RepeatedField<T> values) where T : unmanaged
    {
        var bytes = new byte[values.Count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>()];
        var target = MemoryMarshal.Cast<byte, T>(bytes.AsSpan());
        for (var i = 0; i < values.Count; i++)
        {
            target[i] = values[i];
        }

        return bytes;
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
            _exemplars = (BinaryArray)table.Column("exemplars", StringComparer.Ordinal);
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
    public static void AppendOptional(DoubleArray.Builder builder, bool has, double value)
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

    /// <summary>Keeps a nested message's bytes, or null.</summary>
    public static void AppendBytes(BinaryArray.Builder builder, byte[]? bytes)
    {
        if (bytes is null)
        {
            builder.AppendNull();
        }
        else
        {
            builder.Append(bytes.AsSpan());
        }
    }

    /// <summary>An exponential histogram's buckets as [offset: 4 bytes][counts: 8 bytes each], or null.</summary>
    public static byte[]? PackBuckets(ExponentialHistogramDataPoint.Types.Buckets? buckets)
    {
        if (buckets is null)
        {
            return null;
        }

        var counts = Pack(buckets.BucketCounts);
        var bytes = new byte[4 + counts.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes, buckets.Offset);
        counts.CopyTo(bytes, 4);
        return bytes;
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
