using Apache.Arrow;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Metrics.V1;

namespace OtlpFlow.Operators.Arrow.Encoding;

internal sealed partial class OtlpArrowEncoder
{
    private int EncodeMetrics(ExportMetricsServiceRequest request, ResourceScopeColumns resources, List<(TableId, RecordBatch)> tables)
    {
        var a = _allocator;
        var name = new UInt32Array.Builder();
        var description = new UInt32Array.Builder();
        var unit = new UInt32Array.Builder();
        var kind = new List<int>();
        var temporality = new List<int>();
        var monotonic = new BooleanArray.Builder();
        var pointCount = new UInt32Array.Builder();
        var metadata = new AttributeTable();
        var metrics = 0;

        var number = new PointColumns();
        var numberType = new UInt8Array.Builder();
        var numberDouble = new DoubleArray.Builder();
        var numberInt = new Int64Array.Builder();

        var histogram = new PointColumns();
        var histogramCount = new UInt64Array.Builder();
        var histogramSum = new DoubleArray.Builder();
        var histogramMin = new DoubleArray.Builder();
        var histogramMax = new DoubleArray.Builder();
        var histogramCounts = new BinaryArray.Builder();
        var histogramBounds = new BinaryArray.Builder();

        var exponential = new PointColumns();
        var expCount = new UInt64Array.Builder();
        var expSum = new DoubleArray.Builder();
        var expMin = new DoubleArray.Builder();
        var expMax = new DoubleArray.Builder();
        var expScale = new Int32Array.Builder();
        var expZeroCount = new UInt64Array.Builder();
        var expZeroThreshold = new DoubleArray.Builder();
        var expPositive = new BinaryArray.Builder();
        var expNegative = new BinaryArray.Builder();

        var summary = new PointColumns();
        var summaryCount = new UInt64Array.Builder();
        var summarySum = new DoubleArray.Builder();
        var summaryQuantiles = new BinaryArray.Builder();

        var points = 0;
        foreach (var rm in request.ResourceMetrics)
        {
            resources.AddResource(rm.Resource, rm.SchemaUrl, rm.ScopeMetrics.Count);
            foreach (var sm in rm.ScopeMetrics)
            {
                resources.AddScope(sm.Scope, sm.SchemaUrl, sm.Metrics.Count);
                foreach (var metric in sm.Metrics)
                {
                    var row = (uint)metrics++;
                    name.Append(_names.IndexOf(metric.Name));
                    description.Append(_names.IndexOf(metric.Description));
                    unit.Append(_names.IndexOf(metric.Unit));
                    metadata.Add(row, metric.Metadata, _keys, _values);
                    var count = 0;
                    switch (metric.DataCase)
                    {
                        case Metric.DataOneofCase.Gauge:
                            kind.Add(MetricKind.Gauge);
                            temporality.Add(0);
                            monotonic.Append(false);
                            count = AddNumbers(metric.Gauge.DataPoints);
                            break;
                        case Metric.DataOneofCase.Sum:
                            kind.Add(MetricKind.Sum);
                            temporality.Add((int)metric.Sum.AggregationTemporality);
                            monotonic.Append(metric.Sum.IsMonotonic);
                            count = AddNumbers(metric.Sum.DataPoints);
                            break;
                        case Metric.DataOneofCase.Histogram:
                            kind.Add(MetricKind.Histogram);
                            temporality.Add((int)metric.Histogram.AggregationTemporality);
                            monotonic.Append(false);
                            foreach (var p in metric.Histogram.DataPoints)
                            {
                                histogram.Add(p.StartTimeUnixNano, p.TimeUnixNano, p.Flags, p.Exemplars, p.Attributes, _keys, _values);
                                histogramCount.Append(p.Count);
                                PointColumns.AppendOptional(histogramSum, p.HasSum, p.Sum);
                                PointColumns.AppendOptional(histogramMin, p.HasMin, p.Min);
                                PointColumns.AppendOptional(histogramMax, p.HasMax, p.Max);
                                histogramCounts.Append(PointColumns.Pack(p.BucketCounts).AsSpan());
                                histogramBounds.Append(PointColumns.Pack(p.ExplicitBounds).AsSpan());
                            }

                            count = metric.Histogram.DataPoints.Count;
                            break;
                        case Metric.DataOneofCase.ExponentialHistogram:
                            kind.Add(MetricKind.ExponentialHistogram);
                            temporality.Add((int)metric.ExponentialHistogram.AggregationTemporality);
                            monotonic.Append(false);
                            foreach (var p in metric.ExponentialHistogram.DataPoints)
                            {
                                exponential.Add(p.StartTimeUnixNano, p.TimeUnixNano, p.Flags, p.Exemplars, p.Attributes, _keys, _values);
                                expCount.Append(p.Count);
                                PointColumns.AppendOptional(expSum, p.HasSum, p.Sum);
                                PointColumns.AppendOptional(expMin, p.HasMin, p.Min);
                                PointColumns.AppendOptional(expMax, p.HasMax, p.Max);
                                expScale.Append(p.Scale);
                                expZeroCount.Append(p.ZeroCount);
                                expZeroThreshold.Append(p.ZeroThreshold);
                                PointColumns.AppendBytes(expPositive, PointColumns.PackBuckets(p.Positive));
                                PointColumns.AppendBytes(expNegative, PointColumns.PackBuckets(p.Negative));
                            }

                            count = metric.ExponentialHistogram.DataPoints.Count;
                            break;
                        case Metric.DataOneofCase.Summary:
                            kind.Add(MetricKind.Summary);
                            temporality.Add(0);
                            monotonic.Append(false);
                            foreach (var p in metric.Summary.DataPoints)
                            {
                                summary.Add(p.StartTimeUnixNano, p.TimeUnixNano, p.Flags, [], p.Attributes, _keys, _values);
                                summaryCount.Append(p.Count);
                                summarySum.Append(p.Sum);
                                var pairs = new double[p.QuantileValues.Count * 2];
                                for (var i = 0; i < p.QuantileValues.Count; i++)
                                {
                                    pairs[2 * i] = p.QuantileValues[i].Quantile;
                                    pairs[(2 * i) + 1] = p.QuantileValues[i].Value;
                                }

                                summaryQuantiles.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(pairs.AsSpan()));
                            }

                            count = metric.Summary.DataPoints.Count;
                            break;
                        default:
                            kind.Add(MetricKind.None);
                            temporality.Add(0);
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
            tables.Add((TableId.Metrics, new TableBuilder(a)
                .Add("name", name.Build(a))
                .Add("description", description.Build(a))
                .Add("unit", unit.Build(a))
                .Add("type", TableBuilder.RunEnds(kind.ToArray(), a))
                .Add("aggregation_temporality", TableBuilder.RunEnds(temporality.ToArray(), a))
                .Add("is_monotonic", monotonic.Build(a))
                .Add("point_count", pointCount.Build(a))
                .Build(metrics)));
        }

        if (metadata.Count > 0)
        {
            tables.Add((TableId.MetricAttributes, metadata.Build(a)));
        }

        if (number.Count > 0)
        {
            number.AddTables(a, tables, TableId.NumberPoints, TableId.NumberPointAttributes, number.Start(a)
                .Add("value_type", numberType.Build(a))
                .Add("double", numberDouble.Build(a))
                .Add("int", numberInt.Build(a)));
        }

        if (histogram.Count > 0)
        {
            histogram.AddTables(a, tables, TableId.HistogramPoints, TableId.HistogramPointAttributes, histogram.Start(a)
                .Add("count", histogramCount.Build(a))
                .Add("sum", histogramSum.Build(a), nullable: true)
                .Add("min", histogramMin.Build(a), nullable: true)
                .Add("max", histogramMax.Build(a), nullable: true)
                .Add("bucket_counts", histogramCounts.Build(a))
                .Add("explicit_bounds", histogramBounds.Build(a)));
        }

        if (exponential.Count > 0)
        {
            exponential.AddTables(a, tables, TableId.ExponentialHistogramPoints, TableId.ExponentialHistogramPointAttributes, exponential.Start(a)
                .Add("count", expCount.Build(a))
                .Add("sum", expSum.Build(a), nullable: true)
                .Add("min", expMin.Build(a), nullable: true)
                .Add("max", expMax.Build(a), nullable: true)
                .Add("scale", expScale.Build(a))
                .Add("zero_count", expZeroCount.Build(a))
                .Add("zero_threshold", expZeroThreshold.Build(a))
                .Add("positive", expPositive.Build(a), nullable: true)
                .Add("negative", expNegative.Build(a), nullable: true));
        }

        if (summary.Count > 0)
        {
            summary.AddTables(a, tables, TableId.SummaryPoints, TableId.SummaryPointAttributes, summary.Start(a)
                .Add("count", summaryCount.Build(a))
                .Add("sum", summarySum.Build(a))
                .Add("quantiles", summaryQuantiles.Build(a)));
        }

        return points;

        int AddNumbers(Google.Protobuf.Collections.RepeatedField<NumberDataPoint> dataPoints)
        {
            foreach (var p in dataPoints)
            {
                number.Add(p.StartTimeUnixNano, p.TimeUnixNano, p.Flags, p.Exemplars, p.Attributes, _keys, _values);
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
