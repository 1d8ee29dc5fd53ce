using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Generator;

namespace OtlpFlow.Operators.Tests.Generator;

public class GeneratorMetricAndLogShapeTests
{
    [Fact]
    public async Task Metrics_include_every_data_type()
    {
        var metrics = await MetricsAsync(2000);

        var types = metrics.Select(m => m.DataCase).ToHashSet();
        Assert.Superset(
            new HashSet<Metric.DataOneofCase>
            {
                Metric.DataOneofCase.Gauge, Metric.DataOneofCase.Sum, Metric.DataOneofCase.Histogram,
                Metric.DataOneofCase.ExponentialHistogram, Metric.DataOneofCase.Summary,
            },
            types);
        Assert.Contains(metrics, m => m.DataCase == Metric.DataOneofCase.Sum && m.Sum.IsMonotonic && m.Sum.AggregationTemporality == AggregationTemporality.Cumulative);
    }

    [Fact]
    public async Task Monotonic_cumulative_sums_never_decrease()
    {
        var requests = (await GeneratorRun.ToEndAsync(new GeneratorOptions { Signal = Signal.Metrics, Count = 5000, BatchSize = 400 }))
            .Select(b => (ExportMetricsServiceRequest)b.Payload);

        // A series is one metric of one service with one attribute set.
        var series = new Dictionary<string, List<double>>();
        foreach (var resource in requests.SelectMany(r => r.ResourceMetrics))
        {
            var service = resource.Resource.Attributes.First(a => a.Key == "service.name").Value.StringValue;
            foreach (var metric in resource.ScopeMetrics.SelectMany(s => s.Metrics).Where(m => m.DataCase == Metric.DataOneofCase.Sum && m.Sum.IsMonotonic))
            {
                foreach (var point in metric.Sum.DataPoints)
                {
                    var key = service + "/" + metric.Name + "/" + string.Join(",", point.Attributes);
                    var value = point.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? point.AsInt : point.AsDouble;
                    (series.TryGetValue(key, out var values) ? values : series[key] = []).Add(value);
                }
            }
        }

        Assert.NotEmpty(series);
        Assert.All(series.Values, values => Assert.Equal(values.Order(), values));
        Assert.Contains(series.Values, values => values.Count > 1 && values[^1] > values[0]);
    }

    [Fact]
    public async Task Histograms_are_consistent()
    {
        var metrics = await MetricsAsync(2000);

        foreach (var point in metrics.Where(m => m.DataCase == Metric.DataOneofCase.Histogram).SelectMany(m => m.Histogram.DataPoints))
        {
            Assert.Equal(point.ExplicitBounds.Count + 1, point.BucketCounts.Count);
            Assert.Equal(point.Count, (ulong)point.BucketCounts.Sum(c => (decimal)c));
            Assert.Equal(point.Count > 0, point.HasMin && point.HasMax);
            Assert.True(point.Min <= point.Max);
        }

        foreach (var point in metrics.Where(m => m.DataCase == Metric.DataOneofCase.ExponentialHistogram).SelectMany(m => m.ExponentialHistogram.DataPoints))
        {
            Assert.Equal(point.Count, point.ZeroCount + (ulong)point.Positive.BucketCounts.Sum(c => (decimal)c));
        }
    }

    [Fact]
    public async Task Data_points_carry_attributes_and_timestamps()
    {
        var metrics = await MetricsAsync(1000);

        var points = metrics.Where(m => m.DataCase == Metric.DataOneofCase.Histogram).SelectMany(m => m.Histogram.DataPoints).ToList();
        Assert.NotEmpty(points);
        Assert.All(points, p =>
        {
            Assert.NotEmpty(p.Attributes);
            Assert.True(p.TimeUnixNano >= p.StartTimeUnixNano && p.StartTimeUnixNano > 0);
        });
    }

    [Fact]
    public async Task Logs_cover_the_severity_range_and_both_body_kinds()
    {
        var records = await LogsAsync(3000);

        var severities = records.Select(r => (int)r.SeverityNumber).ToList();
        Assert.InRange(severities.Min(), 1, 4);
        Assert.InRange(severities.Max(), 21, 24);
        Assert.All(records, r => Assert.False(string.IsNullOrEmpty(r.SeverityText)));
        Assert.Contains(records, r => r.Body.ValueCase == AnyValue.ValueOneofCase.StringValue);
        Assert.Contains(records, r => r.Body.ValueCase == AnyValue.ValueOneofCase.KvlistValue);
        Assert.All(records, r => Assert.NotEmpty(r.Attributes));
    }

    [Fact]
    public async Task Some_logs_carry_trace_context_and_some_do_not()
    {
        var records = await LogsAsync(1000);

        var correlated = records.Where(r => !r.TraceId.IsEmpty).ToList();
        Assert.InRange(correlated.Count, 1, records.Count - 1);
        Assert.All(correlated, r =>
        {
            Assert.Equal(16, r.TraceId.Length);
            Assert.Equal(8, r.SpanId.Length);
        });
    }

    private static async Task<List<Metric>> MetricsAsync(long count) =>
        (await GeneratorRun.ToEndAsync(new GeneratorOptions { Signal = Signal.Metrics, Count = count, BatchSize = 400 }))
            .Select(b => (ExportMetricsServiceRequest)b.Payload)
            .SelectMany(r => r.ResourceMetrics).SelectMany(r => r.ScopeMetrics).SelectMany(s => s.Metrics).ToList();

    private static async Task<List<LogRecord>> LogsAsync(long count) =>
        (await GeneratorRun.ToEndAsync(new GeneratorOptions { Signal = Signal.Logs, Count = count, BatchSize = 400 }))
            .Select(b => (ExportLogsServiceRequest)b.Payload)
            .SelectMany(r => r.ResourceLogs).SelectMany(r => r.ScopeLogs).SelectMany(s => s.LogRecords).ToList();
}
