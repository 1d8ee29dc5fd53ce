using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Metrics.V1;
using static OtlpFlow.Operators.Generator.SyntheticAttributes;

namespace OtlpFlow.Operators.Generator;

/// <summary>
/// Makes metrics as a periodic reader would: each collection round gives one data point for every
/// time series of every service (gauges, cumulative sums, histograms, exponential histograms and
/// summaries). Rounds are cut into batches at any point, so a batch holds exactly the points asked for.
/// </summary>
internal sealed class MetricSynthesizer : ISignalSynthesizer
{
    // The OpenTelemetry semantic conventions' advised boundaries for HTTP durations, in seconds.
    private static readonly double[] DurationBounds = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
    private static readonly double[] Quantiles = [0, 0.5, 0.9, 0.99, 1];
    private static readonly string[] CpuModes = ["user", "system"];
    private static readonly string[] RpcMethods = ["Get", "List"];

    // Scale 2: each bucket is 2^(1/4) wide; offset and width cover 0.016 ms to about 1 minute.
    private const int ExpScale = 2;
    private const int ExpOffset = -24;
    private const int ExpWidth = 96;

    private readonly Random _random;
    private readonly SyntheticClock _clock;
    private readonly SyntheticService[] _services;
    private readonly List<Series> _series = [];
    private readonly List<Definition> _definitions = [];
    private readonly int _scopeStride;
    private readonly ResourceMetrics?[] _resourceInBatch;
    private readonly ScopeMetrics?[] _scopeInBatch;
    private readonly Metric?[] _metricInBatch;
    private int _cursor;
    private ulong _roundTime;

    public MetricSynthesizer(SyntheticService[] services, Random random, SyntheticClock clock)
    {
        _services = services;
        _random = random;
        _clock = clock;
        foreach (var service in services)
        {
            AddService(service);
        }

        _scopeStride = Enum.GetValues<ScopeRole>().Length;
        _resourceInBatch = new ResourceMetrics?[services.Length];
        _scopeInBatch = new ScopeMetrics?[services.Length * _scopeStride];
        _metricInBatch = new Metric?[_definitions.Count];
    }

    private enum Shape
    {
        Gauge,
        Sum,
        Histogram,
        ExponentialHistogram,
        Summary,
    }

    public IMessage Next(int items)
    {
        var request = new ExportMetricsServiceRequest();
        Array.Clear(_resourceInBatch);
        Array.Clear(_scopeInBatch);
        Array.Clear(_metricInBatch);
        for (var i = 0; i < items; i++)
        {
            if (_cursor == 0)
            {
                // Every point of one collection round carries the same timestamp, as a reader's export
                // does; one step past the clock so that a cumulative point always ends after its start.
                _clock.Advance(1);
                _roundTime = _clock.Now;
            }

            var series = _series[_cursor];
            _cursor = (_cursor + 1) % _series.Count;
            AddPoint(MetricFor(request, series.Definition), series);
            _clock.Advance(1);
        }

        return request;
    }

    private Metric MetricFor(ExportMetricsServiceRequest request, Definition definition)
    {
        var metric = _metricInBatch[definition.Slot];
        if (metric is not null)
        {
            return metric;
        }

        var service = definition.Service;
        var scopeSlot = (service.Index * _scopeStride) + definition.Scope;
        var scopeMetrics = _scopeInBatch[scopeSlot];
        if (scopeMetrics is null)
        {
            var resourceMetrics = _resourceInBatch[service.Index];
            if (resourceMetrics is null)
            {
                resourceMetrics = new ResourceMetrics { Resource = service.Resource.Clone() };
                _resourceInBatch[service.Index] = resourceMetrics;
                request.ResourceMetrics.Add(resourceMetrics);
            }

            scopeMetrics = new ScopeMetrics { Scope = service.Scopes[definition.Scope].Clone() };
            _scopeInBatch[scopeSlot] = scopeMetrics;
            resourceMetrics.ScopeMetrics.Add(scopeMetrics);
        }

        metric = new Metric { Name = definition.Name, Description = definition.Description, Unit = definition.Unit };
        switch (definition.Shape)
        {
            case Shape.Gauge:
                metric.Gauge = new Gauge();
                break;
            case Shape.Sum:
                metric.Sum = new Sum { AggregationTemporality = AggregationTemporality.Cumulative, IsMonotonic = definition.Monotonic };
                break;
            case Shape.Histogram:
                metric.Histogram = new Histogram { AggregationTemporality = AggregationTemporality.Cumulative };
                break;
            case Shape.ExponentialHistogram:
                metric.ExponentialHistogram = new ExponentialHistogram { AggregationTemporality = AggregationTemporality.Cumulative };
                break;
            default:
                metric.Summary = new Summary();
                break;
        }

        _metricInBatch[definition.Slot] = metric;
        scopeMetrics.Metrics.Add(metric);
        return metric;
    }

    private void AddPoint(Metric metric, Series series)
    {
        switch (series.Definition.Shape)
        {
            case Shape.Gauge:
                metric.Gauge.DataPoints.Add(GaugePoint(series));
                break;
            case Shape.Sum:
                metric.Sum.DataPoints.Add(SumPoint(series));
                break;
            case Shape.Histogram:
                metric.Histogram.DataPoints.Add(HistogramPoint(series));
                break;
            case Shape.ExponentialHistogram:
                metric.ExponentialHistogram.DataPoints.Add(ExponentialPoint(series));
                break;
            default:
                metric.Summary.DataPoints.Add(SummaryPoint(series));
                break;
        }
    }

    private NumberDataPoint GaugePoint(Series series)
    {
        var point = new NumberDataPoint { TimeUnixNano = _roundTime };
        CopyAttributes(series, point.Attributes);
        if (series.Definition.Integer)
        {
            // A random walk around the start value, as memory use drifts.
            series.Value = Math.Max(series.Definition.Scale / 4, series.Value + (_random.Normal() * series.Definition.Scale / 40));
            point.AsInt = (long)series.Value;
        }
        else
        {
            series.Value = Math.Clamp(series.Value + (_random.Normal() * 0.02), 0.01, 0.99);
            point.AsDouble = Math.Round(series.Value, 4);
        }

        return point;
    }

    private NumberDataPoint SumPoint(Series series)
    {
        var definition = series.Definition;
        var point = new NumberDataPoint { StartTimeUnixNano = _clock.Start, TimeUnixNano = _roundTime };
        CopyAttributes(series, point.Attributes);
        if (!definition.Monotonic)
        {
            series.Value = Math.Max(0, series.Value + _random.Next(-3, 4));
        }
        else if (series.Rare)
        {
            series.Value += _random.Chance(0.2) ? 1 : 0;
        }
        else
        {
            series.Value += definition.Integer ? _random.Next(0, (int)definition.Scale) : _random.Between(0, definition.Scale);
        }

        if (definition.Integer)
        {
            point.AsInt = (long)series.Value;
        }
        else
        {
            point.AsDouble = Math.Round(series.Value, 6);
        }

        return point;
    }

    private HistogramDataPoint HistogramPoint(Series series)
    {
        var point = new HistogramDataPoint { StartTimeUnixNano = _clock.Start, TimeUnixNano = _roundTime };
        CopyAttributes(series, point.Attributes);
        var buckets = series.Buckets!;
        var observations = Observations(series);
        var last = 0.0;
        for (var i = 0; i < observations; i++)
        {
            last = _random.LatencyMs(series.MedianMs) / 1000;
            var bucket = 0;
            while (bucket < DurationBounds.Length && last > DurationBounds[bucket])
            {
                bucket++;
            }

            buckets[bucket]++;
            Observe(series, last);
        }

        point.Count = series.Count;
        point.Sum = series.Sum;
        if (series.Count > 0)
        {
            point.Min = series.Min;
            point.Max = series.Max;
        }

        point.BucketCounts.Add(buckets);
        point.ExplicitBounds.Add(DurationBounds);
        if (observations > 0 && _random.Chance(0.1))
        {
            point.Exemplars.Add(new Exemplar { TimeUnixNano = _roundTime, AsDouble = last, TraceId = _random.Id(16), SpanId = _random.Id(8) });
        }

        return point;
    }

    private ExponentialHistogramDataPoint ExponentialPoint(Series series)
    {
        var point = new ExponentialHistogramDataPoint { StartTimeUnixNano = _clock.Start, TimeUnixNano = _roundTime, Scale = ExpScale };
        CopyAttributes(series, point.Attributes);
        var buckets = series.Buckets!;
        var observations = Observations(series);
        for (var i = 0; i < observations; i++)
        {
            var value = _random.LatencyMs(series.MedianMs);

            // Bucket i holds (base^i, base^(i+1)] with base = 2^(2^-scale).
            var index = (int)Math.Ceiling(Math.Log2(value) * (1 << ExpScale)) - 1;
            buckets[Math.Clamp(index - ExpOffset, 0, ExpWidth - 1)]++;
            Observe(series, value);
        }

        var first = 0;
        while (first < ExpWidth - 1 && buckets[first] == 0)
        {
            first++;
        }

        var end = ExpWidth;
        while (end > first + 1 && buckets[end - 1] == 0)
        {
            end--;
        }

        var positive = new ExponentialHistogramDataPoint.Types.Buckets { Offset = ExpOffset + first };
        positive.BucketCounts.Add(buckets.AsSpan(first, end - first).ToArray());
        point.Positive = positive;
        point.Count = series.Count;
        point.Sum = series.Sum;
        if (series.Count > 0)
        {
            point.Min = series.Min;
            point.Max = series.Max;
        }

        return point;
    }

    private SummaryDataPoint SummaryPoint(Series series)
    {
        var point = new SummaryDataPoint { StartTimeUnixNano = _clock.Start, TimeUnixNano = _roundTime };
        CopyAttributes(series, point.Attributes);

        // Quantiles describe this round's observations, as a sliding-window summary reports them.
        Span<double> window = stackalloc double[1 + _random.Next(32)];
        for (var i = 0; i < window.Length; i++)
        {
            window[i] = _random.LatencyMs(series.MedianMs);
            Observe(series, window[i]);
        }

        window.Sort();
        foreach (var quantile in Quantiles)
        {
            var at = (int)Math.Round(quantile * (window.Length - 1));
            point.QuantileValues.Add(new SummaryDataPoint.Types.ValueAtQuantile { Quantile = quantile, Value = window[at] });
        }

        point.Count = series.Count;
        point.Sum = series.Sum;
        return point;
    }

    /// <summary>New observations this round: a handful, or now and then one for a rare series such as errors.</summary>
    private int Observations(Series series) => series.Rare ? (_random.Chance(0.2) ? 1 : 0) : 1 + _random.Next(20);

    private static void Observe(Series series, double value)
    {
        series.Count++;
        series.Sum += value;
        series.Min = Math.Min(series.Min, value);
        series.Max = Math.Max(series.Max, value);
    }

    private static void CopyAttributes(Series series, Google.Protobuf.Collections.RepeatedField<KeyValue> target)
    {
        foreach (var attribute in series.Attributes)
        {
            target.Add(attribute.Clone());
        }
    }

    private void AddService(SyntheticService service)
    {
        var server = service.Scope(ScopeRole.Server);
        var app = service.Scope(ScopeRole.Application);

        var duration = Define(service, "http.server.request.duration", "Duration of HTTP server requests.", "s", Shape.Histogram, server);
        var requests = Define(service, "http.server.requests", "Number of HTTP requests served.", "{request}", Shape.Sum, server, monotonic: true, integer: true, scale: 40);
        foreach (var route in service.Routes)
        {
            foreach (var status in (int[])[200, 500])
            {
                KeyValue[] attributes = [Str("http.request.method", route.Method), Str("http.route", route.Route), Int("http.response.status_code", status)];
                AddSeries(duration, attributes, route.MedianMs, buckets: DurationBounds.Length + 1).Rare = status >= 500;
                AddSeries(requests, attributes, route.MedianMs).Rare = status >= 500;
            }
        }

        AddSeries(Define(service, "http.server.active_requests", "Requests in progress.", "{request}", Shape.Sum, server, integer: true), [Str("url.scheme", "http")], 0);

        var utilization = Define(service, "process.cpu.utilization", "CPU used by the process, as a fraction of one core.", "1", Shape.Gauge, app);
        var cpuTime = Define(service, "process.cpu.time", "CPU time used by the process.", "s", Shape.Sum, app, monotonic: true, scale: 0.5);
        foreach (var mode in CpuModes)
        {
            var series = AddSeries(utilization, [Str("cpu.mode", mode)], 0);
            series.Value = _random.Between(0.05, 0.6);
            AddSeries(cpuTime, [Str("cpu.mode", mode)], 0);
        }

        var memory = Define(service, "process.memory.usage", "Physical memory in use by the process.", "By", Shape.Gauge, app, integer: true, scale: 256 * 1024 * 1024);
        AddSeries(memory, [], 0).Value = _random.Between(128, 512) * 1024 * 1024;

        var rpc = Define(service, "rpc.server.duration", "Duration of inbound RPCs.", "ms", Shape.ExponentialHistogram, server);
        foreach (var method in RpcMethods)
        {
            AddSeries(rpc, [Str("rpc.system", "grpc"), Str("rpc.service", service.Name + ".v1.Service"), Str("rpc.method", method)], 10, buckets: ExpWidth);
        }

        var queries = Define(service, "db.client.query.latency", "Latency of database queries.", "ms", Shape.Summary, service.Scope(ScopeRole.Database));
        foreach (var query in service.Queries)
        {
            AddSeries(queries, [Str("db.system.name", service.DatabaseSystem), Str("db.operation.name", query.Operation), Str("db.collection.name", query.Collection)], query.MedianMs);
        }

        var sent = Define(service, "messaging.client.sent.messages", "Messages sent.", "{message}", Shape.Sum, service.Scope(ScopeRole.Messaging), monotonic: true, integer: true, scale: 100);
        foreach (var topic in service.Topics)
        {
            AddSeries(sent, [Str("messaging.system", "kafka"), Str("messaging.destination.name", topic)], 0);
        }
    }

    private Definition Define(SyntheticService service, string name, string description, string unit, Shape shape, int scope, bool monotonic = false, bool integer = false, double scale = 1)
    {
        var definition = new Definition(_definitions.Count, service, name, description, unit, shape, scope, monotonic, integer, scale);
        _definitions.Add(definition);
        return definition;
    }

    private Series AddSeries(Definition definition, KeyValue[] attributes, double medianMs, int buckets = 0)
    {
        var series = new Series(definition, attributes, medianMs, buckets == 0 ? null : new ulong[buckets]);
        _series.Add(series);
        return series;
    }

    /// <summary>One metric of one service.</summary>
    private sealed record Definition(int Slot, SyntheticService Service, string Name, string Description, string Unit, Shape Shape, int Scope, bool Monotonic, bool Integer, double Scale);

    /// <summary>One time series (metric and attribute set) and its running state.</summary>
    private sealed class Series(Definition definition, KeyValue[] attributes, double medianMs, ulong[]? buckets)
    {
        public Definition Definition { get; } = definition;

        public KeyValue[] Attributes { get; } = attributes;

        public double MedianMs { get; } = medianMs;

        public ulong[]? Buckets { get; } = buckets;

        public double Value { get; set; }

        /// <summary>True for a series that sees little traffic (server errors): a point now and then, not every round.</summary>
        public bool Rare { get; set; }

        public ulong Count { get; set; }

        public double Sum { get; set; }

        public double Min { get; set; } = double.PositiveInfinity;

        public double Max { get; set; } = double.NegativeInfinity;
    }
}
