using Apache.Arrow;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Metrics.V1;

namespace OtlpFlow.Operators.Arrow.Encoding;

public sealed partial class OtlpArrowDecoder
{
    private ExportMetricsServiceRequest DecodeMetrics(Dictionary<TableId, RecordBatch> tables)
    {
        var metrics = System.Array.Empty<Metric>();
        if (tables.TryGetValue(TableId.Metrics, out var t))
        {
            var n = t.Length;
            var name = IntegerColumn<uint>.Of(t, "name");
            var description = IntegerColumn<uint>.Of(t, "description");
            var unit = IntegerColumn<uint>.Of(t, "unit");
            var kind = TableBuilder.ExpandRunEnds(t.Column("type"), n);
            var temporality = TableBuilder.ExpandRunEnds(t.Column("aggregation_temporality"), n);
            var monotonic = (BooleanArray)t.Column("is_monotonic");
            var pointCount = IntegerColumn<uint>.Of(t, "point_count");
            metrics = new Metric[n];

            var numbers = new NumberReader(tables);
            var histograms = new HistogramReader(tables);
            var exponentials = new ExponentialReader(tables);
            var summaries = new SummaryReader(tables);
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

            AttributeTable.Read(tables.GetValueOrDefault(TableId.MetricAttributes), _keys, _values, p => metrics[p].Metadata);
            AttributeTable.Read(tables.GetValueOrDefault(TableId.NumberPointAttributes), _keys, _values, p => numbers.Points[(int)p].Attributes);
            AttributeTable.Read(tables.GetValueOrDefault(TableId.HistogramPointAttributes), _keys, _values, p => histograms.Points[(int)p].Attributes);
            AttributeTable.Read(tables.GetValueOrDefault(TableId.ExponentialHistogramPointAttributes), _keys, _values, p => exponentials.Points[(int)p].Attributes);
            AttributeTable.Read(tables.GetValueOrDefault(TableId.SummaryPointAttributes), _keys, _values, p => summaries.Points[(int)p].Attributes);
        }

        var request = new ExportMetricsServiceRequest();
        var reader = new ResourceScopeReader(tables, _keys, _values, _names);
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
                sm.Metrics.Add(new ArraySegment<Metric>(metrics, first, count));
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

        protected PointReader(Dictionary<TableId, RecordBatch> tables, TableId id)
        {
            if (tables.TryGetValue(id, out var table))
            {
                _common = new PointColumns.Reader(table);
                Points = new T[table.Length];
            }
            else
            {
                Points = [];
            }
        }

        public T[] Points { get; }

        protected RecordBatch Table => _common!.Table;

        public void Read(int count, Google.Protobuf.Collections.RepeatedField<T> target)
        {
            if (count > Points.Length - _row)
            {
                throw new InvalidDataException("A metric claims more data points than its table holds.");
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

    private sealed class NumberReader(Dictionary<TableId, RecordBatch> tables) : PointReader<NumberDataPoint>(tables, TableId.NumberPoints)
    {
        protected override NumberDataPoint Make(int row, PointColumns.Reader common)
        {
            var point = new NumberDataPoint();
            (point.StartTimeUnixNano, point.TimeUnixNano, point.Flags) = common.Next(row, point.Exemplars);
            switch (((UInt8Array)Table.Column("value_type")).Values[row])
            {
                case 1:
                    point.AsDouble = DoubleColumn.Of(Table, "double")[row];
                    break;
                case 2:
                    point.AsInt = IntegerColumn<long>.Of(Table, "int")[row];
                    break;
            }

            return point;
        }
    }

    private sealed class HistogramReader(Dictionary<TableId, RecordBatch> tables) : PointReader<HistogramDataPoint>(tables, TableId.HistogramPoints)
    {
        protected override HistogramDataPoint Make(int row, PointColumns.Reader common)
        {
            var point = new HistogramDataPoint();
            (point.StartTimeUnixNano, point.TimeUnixNano, point.Flags) = common.Next(row, point.Exemplars);
            point.Count = IntegerColumn<ulong>.Of(Table, "count")[row];
            if (Optional(DoubleColumn.Of(Table, "sum"), row) is { } sum) point.Sum = sum;
            if (Optional(DoubleColumn.Of(Table, "min"), row) is { } min) point.Min = min;
            if (Optional(DoubleColumn.Of(Table, "max"), row) is { } max) point.Max = max;
            PointColumns.Unpack(((BinaryArray)Table.Column("bucket_counts")).GetBytes(row), point.BucketCounts);
            PointColumns.Unpack(((BinaryArray)Table.Column("explicit_bounds")).GetBytes(row), point.ExplicitBounds);
            return point;
        }
    }

    private sealed class ExponentialReader(Dictionary<TableId, RecordBatch> tables) : PointReader<ExponentialHistogramDataPoint>(tables, TableId.ExponentialHistogramPoints)
    {
        protected override ExponentialHistogramDataPoint Make(int row, PointColumns.Reader common)
        {
            var point = new ExponentialHistogramDataPoint();
            (point.StartTimeUnixNano, point.TimeUnixNano, point.Flags) = common.Next(row, point.Exemplars);
            point.Count = IntegerColumn<ulong>.Of(Table, "count")[row];
            if (Optional(DoubleColumn.Of(Table, "sum"), row) is { } sum) point.Sum = sum;
            if (Optional(DoubleColumn.Of(Table, "min"), row) is { } min) point.Min = min;
            if (Optional(DoubleColumn.Of(Table, "max"), row) is { } max) point.Max = max;
            point.Scale = IntegerColumn<int>.Of(Table, "scale")[row];
            point.ZeroCount = IntegerColumn<ulong>.Of(Table, "zero_count")[row];
            point.ZeroThreshold = DoubleColumn.Of(Table, "zero_threshold")[row];
            point.Positive = PointColumns.UnpackBuckets((BinaryArray)Table.Column("positive"), row);
            point.Negative = PointColumns.UnpackBuckets((BinaryArray)Table.Column("negative"), row);
            return point;
        }
    }

    private sealed class SummaryReader(Dictionary<TableId, RecordBatch> tables) : PointReader<SummaryDataPoint>(tables, TableId.SummaryPoints)
    {
        protected override SummaryDataPoint Make(int row, PointColumns.Reader common)
        {
            var point = new SummaryDataPoint();
            (point.StartTimeUnixNano, point.TimeUnixNano, point.Flags) = common.Next(row, []);
            point.Count = IntegerColumn<ulong>.Of(Table, "count")[row];
            point.Sum = DoubleColumn.Of(Table, "sum")[row];
            var pairs = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(((BinaryArray)Table.Column("quantiles")).GetBytes(row));
            for (var i = 0; i + 1 < pairs.Length; i += 2)
            {
                point.QuantileValues.Add(new SummaryDataPoint.Types.ValueAtQuantile { Quantile = pairs[i], Value = pairs[i + 1] });
            }

            return point;
        }
    }
}
