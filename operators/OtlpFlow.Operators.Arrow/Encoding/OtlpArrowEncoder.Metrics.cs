using Apache.Arrow;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Metrics.V1;

namespace OtlpFlow.Operators.Arrow.Encoding;

internal sealed partial class OtlpArrowEncoder
{
    private MetricColumns? _metricColumns;

    /// <summary>The metric and data point columns, kept for the stream's next message.</summary>
    private sealed class MetricColumns
    {
        public readonly UnsignedColumn Name = new();
        public readonly UnsignedColumn Description = new();
        public readonly UnsignedColumn Unit = new();
        public readonly RunEndColumn Kind = new();
        public readonly RunEndColumn Temporality = new();
        public readonly BoolColumn Monotonic = new();
        public readonly UnsignedColumn PointCount = new();
        public readonly AttributeTable Metadata = new();

        public readonly PointColumns Number = new();
        public readonly UnsignedColumn NumberType = new();
        public readonly DoubleValues NumberDouble = new();
        public readonly SignedColumn NumberInt = new();

        public readonly PointColumns Histogram = new();
        public readonly UnsignedColumn HistogramCount = new();
        public readonly DoubleValues HistogramSum = new(nullable: true);
        public readonly DoubleValues HistogramMin = new(nullable: true);
        public readonly DoubleValues HistogramMax = new(nullable: true);
        public readonly BinaryColumn HistogramCounts = new();
        public readonly BinaryColumn HistogramBounds = new();

        public readonly PointColumns Exponential = new();
        public readonly UnsignedColumn ExpCount = new();
        public readonly DoubleValues ExpSum = new(nullable: true);
        public readonly DoubleValues ExpMin = new(nullable: true);
        public readonly DoubleValues ExpMax = new(nullable: true);
        public readonly SignedColumn ExpScale = new();
        public readonly UnsignedColumn ExpZeroCount = new();
        public readonly DoubleValues ExpZeroThreshold = new();
        public readonly BinaryColumn ExpPositive = new(nullable: true);
        public readonly BinaryColumn ExpNegative = new(nullable: true);

        public readonly PointColumns Summary = new();
        public readonly UnsignedColumn SummaryCount = new();
        public readonly DoubleValues SummarySum = new();
        public readonly BinaryColumn SummaryQuantiles = new();

        public void Clear()
        {
            Name.Clear();
            Description.Clear();
            Unit.Clear();
            Kind.Clear();
            Temporality.Clear();
            Monotonic.Clear();
            PointCount.Clear();
            Metadata.Clear();
            Number.Clear();
            NumberType.Clear();
            NumberDouble.Clear();
            NumberInt.Clear();
            Histogram.Clear();
            HistogramCount.Clear();
            HistogramSum.Clear();
            HistogramMin.Clear();
            HistogramMax.Clear();
            HistogramCounts.Clear();
            HistogramBounds.Clear();
            Exponential.Clear();
            ExpCount.Clear();
            ExpSum.Clear();
            ExpMin.Clear();
            ExpMax.Clear();
            ExpScale.Clear();
            ExpZeroCount.Clear();
            ExpZeroThreshold.Clear();
            ExpPositive.Clear();
            ExpNegative.Clear();
            Summary.Clear();
            SummaryCount.Clear();
            SummarySum.Clear();
            SummaryQuantiles.Clear();
        }
    }

    private int EncodeMetrics(ExportMetricsServiceRequest request, MessageBuffers buffers, List<(TableId, RecordBatch)> tables)
    {
        var c = _metricColumns ??= new MetricColumns();
        c.Clear();
        var metrics = 0;
        var name = c.Name;
        var description = c.Description;
        var unit = c.Unit;
        var kind = c.Kind;
        var temporality = c.Temporality;
        var monotonic = c.Monotonic;
        var pointCount = c.PointCount;
        var metadata = c.Metadata;
        var number = c.Number;
        var numberType = c.NumberType;
        var numberDouble = c.NumberDouble;
        var numberInt = c.NumberInt;
        var histogram = c.Histogram;
        var histogramCount = c.HistogramCount;
        var histogramSum = c.HistogramSum;
        var histogramMin = c.HistogramMin;
        var histogramMax = c.HistogramMax;
        var histogramCounts = c.HistogramCounts;
        var histogramBounds = c.HistogramBounds;
        var exponential = c.Exponential;
        var expCount = c.ExpCount;
        var expSum = c.ExpSum;
        var expMin = c.ExpMin;
        var expMax = c.ExpMax;
        var expScale = c.ExpScale;
        var expZeroCount = c.ExpZeroCount;
        var expZeroThreshold = c.ExpZeroThreshold;
        var expPositive = c.ExpPositive;
        var expNegative = c.ExpNegative;
        var summary = c.Summary;
        var summaryCount = c.SummaryCount;
        var summarySum = c.SummarySum;
        var summaryQuantiles = c.SummaryQuantiles;

        var points = 0;
        foreach (var rm in request.ResourceMetrics)
        {
            _resources.AddResource(rm.Resource, rm.SchemaUrl, rm.ScopeMetrics.Count);
            foreach (var sm in rm.ScopeMetrics)
            {
                _resources.AddScope(sm.Scope, sm.SchemaUrl, sm.Metrics.Count);
                foreach (var metric in sm.Metrics)
                {
                    var row = (uint)metrics++;
                    name.Append(_names.IndexOf(metric.Name));
                    description.Append(_names.IndexOf(metric.Description));
                    unit.Append(_names.IndexOf(metric.Unit));
                    metadata.Add(row, metric.Metadata, _attributes);
                    var count = 0;
                    switch (metric.DataCase)
                    {
                        case Metric.DataOneofCase.Gauge:
                            kind.Append(MetricKind.Gauge);
                            temporality.Append(0);
                            monotonic.Append(false);
                            count = AddNumbers(metric.Gauge.DataPoints);
                            break;
                        case Metric.DataOneofCase.Sum:
                            kind.Append(MetricKind.Sum);
                            temporality.Append((int)metric.Sum.AggregationTemporality);
                            monotonic.Append(metric.Sum.IsMonotonic);
                            count = AddNumbers(metric.Sum.DataPoints);
                            break;
                        case Metric.DataOneofCase.Histogram:
                            kind.Append(MetricKind.Histogram);
                            temporality.Append((int)metric.Histogram.AggregationTemporality);
                            monotonic.Append(false);
                            for (var pIndex = 0; pIndex < metric.Histogram.DataPoints.Count; pIndex++)
                            {
                                var p = metric.Histogram.DataPoints[pIndex];
                                histogram.Add(p.StartTimeUnixNano, p.TimeUnixNano, p.Flags, p.Exemplars, p.Attributes, _attributes);
                                histogramCount.Append(p.Count);
                                PointColumns.AppendOptional(histogramSum, p.HasSum, p.Sum);
                                PointColumns.AppendOptional(histogramMin, p.HasMin, p.Min);
                                PointColumns.AppendOptional(histogramMax, p.HasMax, p.Max);
                                PointColumns.AppendPacked(histogramCounts, p.BucketCounts);
                                PointColumns.AppendPacked(histogramBounds, p.ExplicitBounds);
                            }

                            count = metric.Histogram.DataPoints.Count;
                            break;
                        case Metric.DataOneofCase.ExponentialHistogram:
                            kind.Append(MetricKind.ExponentialHistogram);
                            temporality.Append((int)metric.ExponentialHistogram.AggregationTemporality);
                            monotonic.Append(false);
                            for (var pIndex = 0; pIndex < metric.ExponentialHistogram.DataPoints.Count; pIndex++)
                            {
                                var p = metric.ExponentialHistogram.DataPoints[pIndex];
                                exponential.Add(p.StartTimeUnixNano, p.TimeUnixNano, p.Flags, p.Exemplars, p.Attributes, _attributes);
                                expCount.Append(p.Count);
                                PointColumns.AppendOptional(expSum, p.HasSum, p.Sum);
                                PointColumns.AppendOptional(expMin, p.HasMin, p.Min);
                                PointColumns.AppendOptional(expMax, p.HasMax, p.Max);
                                expScale.Append(p.Scale);
                                expZeroCount.Append(p.ZeroCount);
                                expZeroThreshold.Append(p.ZeroThreshold);
                                PointColumns.AppendBuckets(expPositive, p.Positive);
                                PointColumns.AppendBuckets(expNegative, p.Negative);
                            }

                            count = metric.ExponentialHistogram.DataPoints.Count;
                            break;
                        case Metric.DataOneofCase.Summary:
                            kind.Append(MetricKind.Summary);
                            temporality.Append(0);
                            monotonic.Append(false);
                            for (var pIndex = 0; pIndex < metric.Summary.DataPoints.Count; pIndex++)
                            {
                                var p = metric.Summary.DataPoints[pIndex];
                                summary.Add(p.StartTimeUnixNano, p.TimeUnixNano, p.Flags, [], p.Attributes, _attributes);
                                summaryCount.Append(p.Count);
                                summarySum.Append(p.Sum);
                                var pairs = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(summaryQuantiles.AppendSpan(p.QuantileValues.Count * 2 * sizeof(double)));
                                for (var i = 0; i < p.QuantileValues.Count; i++)
                                {
                                    pairs[2 * i] = p.QuantileValues[i].Quantile;
                                    pairs[(2 * i) + 1] = p.QuantileValues[i].Value;
                                }
                            }

                            count = metric.Summary.DataPoints.Count;
                            break;
                        default:
                            kind.Append(MetricKind.None);
                            temporality.Append(0);
                            monotonic.Append(false);
                            break;
                    }

                    pointCount.Append((uint)count);
                    points += count;
                }
            }
        }

        if (metrics > 0)
        {
            tables.Add((TableId.Metrics, new TableBuilder(buffers)
                .Add("name", name)
                .Add("description", description)
                .Add("unit", unit)
                .Add("type", kind)
                .Add("aggregation_temporality", temporality)
                .Add("is_monotonic", monotonic)
                .Add("point_count", pointCount)
                .Add("attributes_shape", metadata.Shapes)
                .Build(metrics)));
        }

        if (metadata.Count > 0)
        {
            tables.Add((TableId.MetricAttributes, metadata.Build(buffers, _shapes)));
        }

        if (number.Count > 0)
        {
            number.AddTables(buffers, _shapes, tables, TableId.NumberPoints, TableId.NumberPointAttributes, number.Start(buffers)
                .Add("value_type", numberType)
                .Add("double", numberDouble)
                .Add("int", numberInt));
        }

        if (histogram.Count > 0)
        {
            histogram.AddTables(buffers, _shapes, tables, TableId.HistogramPoints, TableId.HistogramPointAttributes, histogram.Start(buffers)
                .Add("count", histogramCount)
                .Add("sum", histogramSum)
                .Add("min", histogramMin)
                .Add("max", histogramMax)
                .Add("bucket_counts", histogramCounts)
                .Add("explicit_bounds", histogramBounds));
        }

        if (exponential.Count > 0)
        {
            exponential.AddTables(buffers, _shapes, tables, TableId.ExponentialHistogramPoints, TableId.ExponentialHistogramPointAttributes, exponential.Start(buffers)
                .Add("count", expCount)
                .Add("sum", expSum)
                .Add("min", expMin)
                .Add("max", expMax)
                .Add("scale", expScale)
                .Add("zero_count", expZeroCount)
                .Add("zero_threshold", expZeroThreshold)
                .Add("positive", expPositive)
                .Add("negative", expNegative));
        }

        if (summary.Count > 0)
        {
            summary.AddTables(buffers, _shapes, tables, TableId.SummaryPoints, TableId.SummaryPointAttributes, summary.Start(buffers)
                .Add("count", summaryCount)
                .Add("sum", summarySum)
                .Add("quantiles", summaryQuantiles));
        }

        return points;

        int AddNumbers(Google.Protobuf.Collections.RepeatedField<NumberDataPoint> dataPoints)
        {
            for (var pIndex = 0; pIndex < dataPoints.Count; pIndex++)
            {
                var p = dataPoints[pIndex];
                number.Add(p.StartTimeUnixNano, p.TimeUnixNano, p.Flags, p.Exemplars, p.Attributes, _attributes);
                var (type, d, i) = p.ValueCase switch
                {
                    NumberDataPoint.ValueOneofCase.AsDouble => ((byte)1, p.AsDouble, 0L),
                    NumberDataPoint.ValueOneofCase.AsInt => ((byte)2, 0d, p.AsInt),
                    _ => ((byte)0, 0d, 0L),
                };
                numberType.Append(type);
                numberDouble.Append(d);
                numberInt.Append(i);
            }

            return dataPoints.Count;
        }
    }
}
