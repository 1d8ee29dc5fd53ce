using Apache.Arrow;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Metrics.V1;

namespace OtlpFlow.Operators.Arrow.Encoding;

internal sealed partial class OtlpArrowDecoder
{
    private ExportMetricsServiceRequest DecodeMetrics(Dictionary<TableId, RecordBatch> tables)
    {
        var metrics = System.Array.Empty<Metric>();
        if (tables.TryGetValue(TableId.Metrics, out var t))
        {
            var n = t.Length;
            var name = _scratch.Widen(IntegerColumn<uint>.Of(t, "name"), n);
            var description = _scratch.Widen(IntegerColumn<uint>.Of(t, "description"), n);
            var unit = _scratch.Widen(IntegerColumn<uint>.Of(t, "unit"), n);
            var kind = TableBuilder.ExpandRunEnds(t.Column("type", StringComparer.Ordinal), n);
            var temporality = TableBuilder.ExpandRunEnds(t.Column("aggregation_temporality", StringComparer.Ordinal), n);
            var monotonic = (BooleanArray)t.Column("is_monotonic", StringComparer.Ordinal);
            var pointCount = _scratch.Widen(IntegerColumn<uint>.Of(t, "point_count"), n);
            metrics = new Metric[n];

            var numbers = new NumberReader(tables, _scratch);
            var histograms = new HistogramReader(tables, _scratch);
            var exponentials = new ExponentialReader(tables, _scratch);
            var summaries = new SummaryReader(tables, _scratch);
            for (var i = 0; i < n; i++)
            {
                var metric = new Metric { Name = _names[name[i]], Description = _names[description[i]], Unit = _names[unit[i]] };
                var count = (int)pointCount[i];
                switch (kind[i])
                {
                    case MetricKind.Gauge:
                        metric.Gauge = new Gauge();
                        numbers.Read(count, metric.Gauge.DataPoints);
                        break;
                    case MetricKind.Sum:
                        metric.Sum = new Sum { AggregationTemporality = (AggregationTemporality)temporality[i], IsMonotonic = monotonic.GetValue(i) == true };
                        numbers.Read(count, metric.Sum.DataPoints);
                        break;
                    case MetricKind.Histogram:
                        metric.Histogram = new Histogram { AggregationTemporality = (AggregationTemporality)temporality[i] };
                        histograms.Read(count, metric.Histogram.DataPoints);
                        break;
                    case MetricKind.ExponentialHistogram:
                        metric.ExponentialHistogram = new ExponentialHistogram { AggregationTemporality = (AggregationTemporality)temporality[i] };
                        exponentials.Read(count, metric.ExponentialHistogram.DataPoints);
                        break;
                    case MetricKind.Summary:
                        metric.Summary = new Summary();
                        summaries.Read(count, metric.Summary.DataPoints);
                        break;
                }

                metrics[i] = metric;
            }

            _attributes.Read(tables.GetValueOrDefault(TableId.MetricAttributes), t, metrics, static m => m.Metadata);
            _attributes.Read(tables.GetValueOrDefault(TableId.NumberPointAttributes), numbers.Table, numbers.Points, static p => p.Attributes);
            _attributes.Read(tables.GetValueOrDefault(TableId.HistogramPointAttributes), histograms.Table, histograms.Points, static p => p.Attributes);
            _attributes.Read(tables.GetValueOrDefault(TableId.ExponentialHistogramPointAttributes), exponentials.Table, exponentials.Points, static p => p.Attributes);
            _attributes.Read(tables.GetValueOrDefault(TableId.SummaryPointAttributes), summaries.Table, summaries.Points, static p => p.Attributes);
        }

        var request = new ExportMetricsServiceRequest();
        var reader = new ResourceScopeReader(tables, _attributes, _names, _scratch);
        ResourceMetrics? current = null;
        reader.Walk(
            (resource, schema) =>
            {
                current = new ResourceMetrics { Resource = resource, SchemaUrl = schema };
                request.ResourceMetrics.Add(current);
            },
            (scope, schema, first, count) =>
            {
                var sm = new ScopeMetrics { Scope = scope, SchemaUrl = schema };
                AddRange(sm.Metrics, metrics, first, count);
                current!.ScopeMetrics.Add(sm);
            });
        return request;
    }

    private static double? Optional(DoubleColumn column, int row) => column.IsNull(row) ? null : column[row];

    /// <summary>Reads the points of one table in order, remembering them for their attributes.</summary>
    private abstract class PointReader<T>
    {
        private readonly PointColumns.Reader? _common;
        private int _row;

        protected PointReader(Dictionary<TableId, RecordBatch> tables, ReadScratch scratch, TableId id)
        {
            if (tables.TryGetValue(id, out var table))
            {
                _common = new PointColumns.Reader(table, scratch);
                Points = new T[table.Length];
            }
            else
            {
                Points = [];
            }
        }

        public T[] Points { get; }

        /// <summary>The table, or null when the message has none of these points.</summary>
        public RecordBatch? Table => _common?.Table;

        public void Read(int count, Google.Protobuf.Collections.RepeatedField<T> target)
        {
            if (count > Points.Length - _row)
            {
                throw new InvalidDataException("A metric claims more data points than its table holds.");
            }

            if (target.Capacity < target.Count + count)
            {
                target.Capacity = target.Count + count;
            }

            for (var i = 0; i < count; i++, _row++)
            {
                var point = Make(_row, _common!);
                Points[_row] = point;
                target.Add(point);
            }
        }

        protected abstract T Make(int row, PointColumns.Reader common);
    }

    private sealed class NumberReader : PointReader<NumberDataPoint>
    {
        private readonly byte[] _type = [];
        private readonly DoubleColumn _double;
        private readonly long[] _int = [];

        public NumberReader(Dictionary<TableId, RecordBatch> tables, ReadScratch scratch) : base(tables, scratch, TableId.NumberPoints)
        {
            if (Table is { } t)
            {
                var type = ((UInt8Array)t.Column("value_type", StringComparer.Ordinal)).Values;
                if (type.Length < t.Length)
                {
                    throw new InvalidDataException($"Column 'value_type' holds {type.Length} values; its table has {t.Length} rows.");
                }

                _type = scratch.Rent<byte>(t.Length);
                type[..t.Length].CopyTo(_type);
                _double = DoubleColumn.Of(t, "double");
                _int = scratch.Widen(IntegerColumn<long>.Of(t, "int"), t.Length);
            }
        }

        protected override NumberDataPoint Make(int row, PointColumns.Reader common)
        {
            var point = new NumberDataPoint();
            (point.StartTimeUnixNano, point.TimeUnixNano, point.Flags) = common.Next(row, point.Exemplars);
            switch (_type[row])
            {
                case 1:
                    point.AsDouble = _double[row];
                    break;
                case 2:
                    point.AsInt = _int[row];
                    break;
            }

            return point;
        }
    }

    /// <summary>The count, sum, min and max columns histograms and exponential histograms share.</summary>
    private readonly struct Totals(RecordBatch table)
    {
        private readonly IntegerColumn<ulong> _count = IntegerColumn<ulong>.Of(table, "count");
        private readonly DoubleColumn _sum = DoubleColumn.Of(table, "sum");
        private readonly DoubleColumn _min = DoubleColumn.Of(table, "min");
        private readonly DoubleColumn _max = DoubleColumn.Of(table, "max");

        public (ulong Count, double? Sum, double? Min, double? Max) Read(int row) =>
            (_count[row], Optional(_sum, row), Optional(_min, row), Optional(_max, row));
    }

    private sealed class HistogramReader : PointReader<HistogramDataPoint>
    {
        private readonly Totals _totals;
        private readonly BinaryArray? _bucketCounts;
        private readonly BinaryArray? _explicitBounds;

        public HistogramReader(Dictionary<TableId, RecordBatch> tables, ReadScratch scratch) : base(tables, scratch, TableId.HistogramPoints)
        {
            if (Table is { } t)
            {
                _totals = new Totals(t);
                _bucketCounts = CheckedColumns.Binary<BinaryArray>(t, "bucket_counts");
                _explicitBounds = CheckedColumns.Binary<BinaryArray>(t, "explicit_bounds");
            }
        }

        protected override HistogramDataPoint Make(int row, PointColumns.Reader common)
        {
            var point = new HistogramDataPoint();
            (point.StartTimeUnixNano, point.TimeUnixNano, point.Flags) = common.Next(row, point.Exemplars);
            var (count, sum, min, max) = _totals.Read(row);
            point.Count = count;
            if (sum is { } s) point.Sum = s;
            if (min is { } mn) point.Min = mn;
            if (max is { } mx) point.Max = mx;
            PointColumns.Unpack(_bucketCounts!.GetBytes(row), point.BucketCounts);
            PointColumns.Unpack(_explicitBounds!.GetBytes(row), point.ExplicitBounds);
            return point;
        }
    }

    private sealed class ExponentialReader : PointReader<ExponentialHistogramDataPoint>
    {
        private readonly Totals _totals;
        private readonly IntegerColumn<int> _scale;
        private readonly IntegerColumn<ulong> _zeroCount;
        private readonly DoubleColumn _zeroThreshold;
        private readonly BinaryArray? _positive;
        private readonly BinaryArray? _negative;

        public ExponentialReader(Dictionary<TableId, RecordBatch> tables, ReadScratch scratch) : base(tables, scratch, TableId.ExponentialHistogramPoints)
        {
            if (Table is { } t)
            {
                _totals = new Totals(t);
                _scale = IntegerColumn<int>.Of(t, "scale");
                _zeroCount = IntegerColumn<ulong>.Of(t, "zero_count");
                _zeroThreshold = DoubleColumn.Of(t, "zero_threshold");
                _positive = CheckedColumns.Binary<BinaryArray>(t, "positive");
                _negative = CheckedColumns.Binary<BinaryArray>(t, "negative");
            }
        }

        protected override ExponentialHistogramDataPoint Make(int row, PointColumns.Reader common)
        {
            var point = new ExponentialHistogramDataPoint();
            (point.StartTimeUnixNano, point.TimeUnixNano, point.Flags) = common.Next(row, point.Exemplars);
            var (count, sum, min, max) = _totals.Read(row);
            point.Count = count;
            if (sum is { } s) point.Sum = s;
            if (min is { } mn) point.Min = mn;
            if (max is { } mx) point.Max = mx;
            point.Scale = _scale[row];
            point.ZeroCount = _zeroCount[row];
            point.ZeroThreshold = _zeroThreshold[row];
            point.Positive = PointColumns.UnpackBuckets(_positive!, row);
            point.Negative = PointColumns.UnpackBuckets(_negative!, row);
            return point;
        }
    }

    private sealed class SummaryReader : PointReader<SummaryDataPoint>
    {
        private readonly IntegerColumn<ulong> _count;
        private readonly DoubleColumn _sum;
        private readonly BinaryArray? _quantiles;

        // Summary points have no exemplars: any a row holds are read into this and dropped.
        private readonly Google.Protobuf.Collections.RepeatedField<Exemplar> _dropped = [];

        public SummaryReader(Dictionary<TableId, RecordBatch> tables, ReadScratch scratch) : base(tables, scratch, TableId.SummaryPoints)
        {
            if (Table is { } t)
            {
                _count = IntegerColumn<ulong>.Of(t, "count");
                _sum = DoubleColumn.Of(t, "sum");
                _quantiles = CheckedColumns.Binary<BinaryArray>(t, "quantiles");
            }
        }

        protected override SummaryDataPoint Make(int row, PointColumns.Reader common)
        {
            var point = new SummaryDataPoint();
            (point.StartTimeUnixNano, point.TimeUnixNano, point.Flags) = common.Next(row, _dropped);
            _dropped.Clear();
            point.Count = _count[row];
            point.Sum = _sum[row];
            var pairs = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(_quantiles!.GetBytes(row));
            point.QuantileValues.Capacity = pairs.Length / 2;
            for (var i = 0; i + 1 < pairs.Length; i += 2)
            {
                point.QuantileValues.Add(new SummaryDataPoint.Types.ValueAtQuantile { Quantile = pairs[i], Value = pairs[i + 1] });
            }

            return point;
        }
    }
}
