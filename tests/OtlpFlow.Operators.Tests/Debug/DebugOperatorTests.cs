using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Options;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Debugging;
using OtlpFlow.Operators.Generator;

namespace OtlpFlow.Operators.Tests.Debugging;

public class DebugOperatorTests
{
    private const string TraceHex = "0af7651916cd43dd8448eb211c80319c";
    private const string SpanHex = "b7ad6b7169203331";
    private const string ParentHex = "00f067aa0ba902b7";

    // 2026-01-01T00:00:01Z plus 5 ns, in Unix nanoseconds.
    private const ulong Second = 1_767_225_601_000_000_005UL;

    [Fact]
    public async Task Basic_prints_one_line_per_batch_with_signal_resources_and_items()
    {
        var text = await WriteAsync(DebugVerbosity.Basic, TelemetryBatch.Create(Traces()), TelemetryBatch.Create(Logs()));

        var lines = Lines(text);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("[dbg] traces: 2 resources, 3 spans, ", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("[dbg] logs: 1 resources, 2 log records, ", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Basic_counts_metrics_and_data_points()
    {
        var text = await WriteAsync(DebugVerbosity.Basic, TelemetryBatch.Create(Metrics()));

        Assert.StartsWith("[dbg] metrics: 1 resources, 2 metrics, 3 data points, ", Assert.Single(Lines(text)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Normal_prints_a_line_per_span_with_ids_name_kind_duration_status_and_service()
    {
        var text = await WriteAsync(DebugVerbosity.Normal, TelemetryBatch.Create(Traces()));

        var lines = Lines(text);
        Assert.Equal(4, lines.Length);
        var line = Assert.Single(lines, l => l.Contains("id=" + SpanHex, StringComparison.Ordinal));
        Assert.Equal(
            $"  span trace={TraceHex} id={SpanHex} parent={ParentHex} name=\"GET /api/cart\" kind=Server duration=12.500ms status=Error(\"upstream \\\"timed\\\" out\") service=cart",
            line);
        Assert.Contains(lines, l => l.Contains("parent=- name=\"root\" kind=Internal", StringComparison.Ordinal) && l.EndsWith("status=Unset service=cart", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith("service=unknown", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Normal_prints_a_line_per_log_record_with_time_severity_and_body()
    {
        var text = await WriteAsync(DebugVerbosity.Normal, TelemetryBatch.Create(Logs()));

        var lines = Lines(text);
        Assert.Equal(3, lines.Length);
        Assert.Equal($"  log time=2026-01-01T00:00:01.000000005Z severity=WARN body=\"disk almost full\" trace={TraceHex} span={SpanHex} service=cart", lines[1]);
        Assert.Equal("  log time=2026-01-01T00:00:01.000000005Z severity=Error body={event=\"login\", ok=false} service=cart", lines[2]);
    }

    [Fact]
    public async Task Normal_prints_a_line_per_data_point_with_name_type_value_and_attributes()
    {
        var text = await WriteAsync(DebugVerbosity.Normal, TelemetryBatch.Create(Metrics()));

        var lines = Lines(text);
        Assert.Equal(4, lines.Length);
        Assert.Equal("  metric name=queue.depth type=Gauge value=17 attributes={queue=\"orders\"} service=cart", lines[1]);
        Assert.Equal("  metric name=queue.depth type=Gauge value=0.25 attributes={} service=cart", lines[2]);
        Assert.Equal("  metric name=latency type=Histogram count=6 sum=1.5 attributes={route=\"/\"} service=cart", lines[3]);
    }

    [Fact]
    public async Task Detailed_prints_resources_scopes_and_every_span_field()
    {
        var text = await WriteAsync(DebugVerbosity.Detailed, TelemetryBatch.Create(Traces()));

        foreach (var expected in (string[])
        [
            "ResourceSpans #0\n  Resource attributes:\n    service.name: \"cart\"\n",
            "  ScopeSpans #0\n    Scope: Microsoft.AspNetCore 10.0.0\n",
            "    Scope attributes:\n      library.kind: \"server\"\n",
            "    Span #1\n      Trace ID: " + TraceHex + "\n      Span ID: " + SpanHex + "\n      Parent ID: " + ParentHex + "\n",
            "      Name: \"GET /api/cart\"\n      Kind: Server\n      Trace state: congo=t61rcWkgMzE\n      Flags: 0x00000101\n",
            "      Start: 2026-01-01T00:00:01.000000005Z\n      End: 2026-01-01T00:00:01.012500005Z\n      Duration: 12.500ms\n",
            "      Status: Error(\"upstream \\\"timed\\\" out\")\n",
            "      Attributes:\n        text: \"a\\nb\"\n        flag: true\n        count: 42\n        ratio: 0.5\n        list: [\"x\", 1]\n        map: {k=\"v\"}\n        raw: 0x01ff\n",
            "      Dropped attributes: 3\n",
            "      Events:\n        Event #0: \"retry\" at 2026-01-01T00:00:01.000000005Z\n          Attributes:\n            attempt: 2\n",
            "      Links:\n        Link #0: trace=" + TraceHex + " span=" + ParentHex + " flags=0x00000001\n",
            "ResourceSpans #1\n",
        ])
        {
            Assert.Contains(expected, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Detailed_prints_every_kind_of_data_point()
    {
        var text = await WriteAsync(DebugVerbosity.Detailed, TelemetryBatch.Create(Metrics()));

        foreach (var expected in (string[])
        [
            "ResourceMetrics #0\n",
            "    Metric #0\n      Name: queue.depth\n      Description: Items waiting.\n      Unit: {item}\n      Type: Gauge\n",
            "      DataPoint #0\n        Attributes:\n          queue: \"orders\"\n        Start: -\n        Time: 2026-01-01T00:00:01.000000005Z\n        Value: 17\n",
            "      Type: Histogram\n      Temporality: Cumulative\n",
            "        Count: 6\n        Sum: 1.5\n        Min: 0.1\n        Max: 0.9\n        Explicit bounds: 0.25, 0.5\n        Bucket counts: 1, 2, 3\n",
            "        Exemplar #0: value=0.9 time=2026-01-01T00:00:01.000000005Z trace=" + TraceHex + " span=" + SpanHex + "\n",
        ])
        {
            Assert.Contains(expected, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Detailed_prints_every_log_record_field()
    {
        var text = await WriteAsync(DebugVerbosity.Detailed, TelemetryBatch.Create(Logs()));

        foreach (var expected in (string[])
        [
            "ResourceLogs #0\n",
            "    LogRecord #0\n      Time: 2026-01-01T00:00:01.000000005Z\n      Observed time: -\n      Severity: WARN (13)\n      Body: \"disk almost full\"\n",
            "      Trace ID: " + TraceHex + "\n      Span ID: " + SpanHex + "\n      Flags: 0x00000001\n",
            "      Attributes:\n        disk: \"/dev/sda1\"\n",
            "    LogRecord #1\n",
            "      Severity: Error (17)\n      Event name: login\n      Body: {event=\"login\", ok=false}\n      Trace ID: -\n",
        ])
        {
            Assert.Contains(expected, text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(Signal.Traces)]
    [InlineData(Signal.Metrics)]
    [InlineData(Signal.Logs)]
    public async Task Detailed_handles_everything_the_generator_makes(Signal signal)
    {
        var generated = await GeneratedAsync(signal, 600);

        var text = await WriteAsync(DebugVerbosity.Detailed, [.. generated]);

        Assert.Equal(generated.Count, Lines(text).Count(l => l.StartsWith("[dbg] ", StringComparison.Ordinal)));
        if (signal == Signal.Metrics)
        {
            Assert.Contains("Type: ExponentialHistogram", text, StringComparison.Ordinal);
            Assert.Contains("Positive buckets: offset ", text, StringComparison.Ordinal);
            Assert.Contains("Quantile 0.99: ", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Batches_written_in_parallel_never_interleave_their_lines()
    {
        var batches = await GeneratedAsync(Signal.Traces, 4000, batchSize: 50);
        using var writer = new StringWriter();
        var sink = new DebugOperator(new DebugOptions { Verbosity = DebugVerbosity.Normal }, TestOperatorContext.Create(id: "dbg"), writer);

        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, ct) => await sink.WriteAsync(batch, ct));

        // Every header must be followed by exactly as many span lines as it announces.
        var lines = Lines(writer.ToString());
        var headers = 0;
        for (var i = 0; i < lines.Length;)
        {
            var match = Regex.Match(lines[i], @"^\[dbg\] traces: \d+ resources, (\d+) spans");
            Assert.True(match.Success, $"line {i} is not a batch header: {lines[i]}");
            var spans = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            for (var j = 1; j <= spans; j++)
            {
                Assert.StartsWith("  span ", lines[i + j], StringComparison.Ordinal);
            }

            i += spans + 1;
            headers++;
        }

        Assert.Equal(batches.Count, headers);
    }

    [Fact]
    public void The_engine_constructs_it_with_the_console_constructor()
    {
        var options = new DebugOptions();
        var context = TestOperatorContext.Create();

        var sink = ActivatorUtilities.CreateInstance<DebugOperator>(new NoServices(), options, context);

        Assert.Same(context, sink.Context);
    }

    [Fact]
    public void It_registers_as_the_debug_sink()
    {
        var attribute = typeof(DebugOperator).GetCustomAttribute<OperatorAttribute>()!;
        var descriptor = new OperatorDescriptor(attribute.Type, typeof(DebugOperator), attribute.Options, attribute.Description);

        Assert.Equal("debug", attribute.Type);
        Assert.Equal(typeof(DebugOptions), attribute.Options);
        Assert.Equal(OperatorKind.Sink, descriptor.Kind);
    }

    [Fact]
    public void Verbosity_defaults_to_basic_and_binds_from_its_camel_case_name()
    {
        var errors = new List<OptionError>();

        var bound = Assert.IsType<DebugOptions>(OptionsBinder.Bind(typeof(DebugOptions), JsonNode.Parse("""{ "verbosity": "detailed" }""")!.AsObject(), errors));

        Assert.Empty(errors);
        Assert.Equal(DebugVerbosity.Detailed, bound.Verbosity);
        Assert.Equal(DebugVerbosity.Basic, new DebugOptions().Verbosity);
    }

    [Fact]
    public async Task Flush_flushes_the_writer()
    {
        using var stream = new MemoryStream();
        await using var writer = new StreamWriter(stream) { AutoFlush = false };
        var sink = new DebugOperator(new DebugOptions(), TestOperatorContext.Create(id: "dbg"), writer);

        await sink.WriteAsync(TelemetryBatch.Create(Logs()), CancellationToken.None);
        await sink.FlushAsync(CancellationToken.None);

        Assert.StartsWith("[dbg] logs:", System.Text.Encoding.UTF8.GetString(stream.ToArray()), StringComparison.Ordinal);
    }

    private static async Task<string> WriteAsync(DebugVerbosity verbosity, params TelemetryBatch[] batches)
    {
        using var writer = new StringWriter();
        var sink = new DebugOperator(new DebugOptions { Verbosity = verbosity }, TestOperatorContext.Create(id: "dbg", type: "debug"), writer);
        foreach (var batch in batches)
        {
            await sink.WriteAsync(batch, CancellationToken.None);
        }

        await sink.FlushAsync(CancellationToken.None);
        return writer.ToString();
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static async Task<List<TelemetryBatch>> GeneratedAsync(Signal signal, long count, int batchSize = 200)
    {
        var generator = new GeneratorOperator(new GeneratorOptions { Signal = signal, Count = count, BatchSize = batchSize }, TestOperatorContext.Create());
        var output = new RecordingOutput();
        await generator.RunAsync(output, CancellationToken.None);
        return [.. output.On()];
    }

    private static ByteString Id(string hex) => ByteString.CopyFrom(Convert.FromHexString(hex));

    private static Resource Cart() => new() { Attributes = { Str("service.name", "cart") } };

    private static KeyValue Str(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static ExportTraceServiceRequest Traces()
    {
        var root = new Span { TraceId = Id(TraceHex), SpanId = Id(ParentHex), Name = "root", Kind = Span.Types.SpanKind.Internal, StartTimeUnixNano = Second, EndTimeUnixNano = Second + 20_000_000 };
        var span = new Span
        {
            TraceId = Id(TraceHex),
            SpanId = Id(SpanHex),
            ParentSpanId = Id(ParentHex),
            TraceState = "congo=t61rcWkgMzE",
            Flags = 0x101,
            Name = "GET /api/cart",
            Kind = Span.Types.SpanKind.Server,
            StartTimeUnixNano = Second,
            EndTimeUnixNano = Second + 12_500_000,
            Status = new Status { Code = Status.Types.StatusCode.Error, Message = "upstream \"timed\" out" },
            DroppedAttributesCount = 3,
            Attributes =
            {
                Str("text", "a\nb"),
                new KeyValue { Key = "flag", Value = new AnyValue { BoolValue = true } },
                new KeyValue { Key = "count", Value = new AnyValue { IntValue = 42 } },
                new KeyValue { Key = "ratio", Value = new AnyValue { DoubleValue = 0.5 } },
                new KeyValue { Key = "list", Value = new AnyValue { ArrayValue = new ArrayValue { Values = { new AnyValue { StringValue = "x" }, new AnyValue { IntValue = 1 } } } } },
                new KeyValue { Key = "map", Value = new AnyValue { KvlistValue = new KeyValueList { Values = { Str("k", "v") } } } },
                new KeyValue { Key = "raw", Value = new AnyValue { BytesValue = ByteString.CopyFrom(1, 255) } },
            },
            Events = { new Span.Types.Event { Name = "retry", TimeUnixNano = Second, Attributes = { new KeyValue { Key = "attempt", Value = new AnyValue { IntValue = 2 } } } } },
            Links = { new Span.Types.Link { TraceId = Id(TraceHex), SpanId = Id(ParentHex), Flags = 1 } },
        };
        var scope = new InstrumentationScope { Name = "Microsoft.AspNetCore", Version = "10.0.0", Attributes = { Str("library.kind", "server") } };
        var other = new Span { TraceId = Id(TraceHex), SpanId = Id("1111111111111111"), ParentSpanId = Id(SpanHex), Name = "SELECT", Kind = Span.Types.SpanKind.Client, StartTimeUnixNano = Second, EndTimeUnixNano = Second + 1_000_000 };
        return new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                new ResourceSpans { Resource = Cart(), ScopeSpans = { new ScopeSpans { Scope = scope, Spans = { root, span } } } },
                new ResourceSpans { Resource = new Resource(), ScopeSpans = { new ScopeSpans { Spans = { other } } } },
            },
        };
    }

    private static ExportLogsServiceRequest Logs()
    {
        var warn = new LogRecord
        {
            TimeUnixNano = Second,
            SeverityNumber = SeverityNumber.Warn,
            SeverityText = "WARN",
            Body = new AnyValue { StringValue = "disk almost full" },
            TraceId = Id(TraceHex),
            SpanId = Id(SpanHex),
            Flags = 1,
            Attributes = { Str("disk", "/dev/sda1") },
        };
        var error = new LogRecord
        {
            ObservedTimeUnixNano = Second,
            SeverityNumber = SeverityNumber.Error,
            EventName = "login",
            Body = new AnyValue { KvlistValue = new KeyValueList { Values = { Str("event", "login"), new KeyValue { Key = "ok", Value = new AnyValue { BoolValue = false } } } } },
        };
        return new ExportLogsServiceRequest
        {
            ResourceLogs = { new ResourceLogs { Resource = Cart(), ScopeLogs = { new ScopeLogs { Scope = new InstrumentationScope { Name = "app" }, LogRecords = { warn, error } } } } },
        };
    }

    private static ExportMetricsServiceRequest Metrics()
    {
        var gauge = new Metric
        {
            Name = "queue.depth",
            Description = "Items waiting.",
            Unit = "{item}",
            Gauge = new Gauge
            {
                DataPoints =
                {
                    new NumberDataPoint { TimeUnixNano = Second, AsInt = 17, Attributes = { Str("queue", "orders") } },
                    new NumberDataPoint { TimeUnixNano = Second, AsDouble = 0.25 },
                },
            },
        };
        var histogram = new Metric
        {
            Name = "latency",
            Unit = "s",
            Histogram = new Histogram
            {
                AggregationTemporality = AggregationTemporality.Cumulative,
                DataPoints =
                {
                    new HistogramDataPoint
                    {
                        StartTimeUnixNano = Second,
                        TimeUnixNano = Second,
                        Count = 6,
                        Sum = 1.5,
                        Min = 0.1,
                        Max = 0.9,
                        ExplicitBounds = { 0.25, 0.5 },
                        BucketCounts = { 1, 2, 3 },
                        Attributes = { Str("route", "/") },
                        Exemplars = { new Exemplar { AsDouble = 0.9, TimeUnixNano = Second, TraceId = Id(TraceHex), SpanId = Id(SpanHex) } },
                    },
                },
            },
        };
        return new ExportMetricsServiceRequest
        {
            ResourceMetrics = { new ResourceMetrics { Resource = Cart(), ScopeMetrics = { new ScopeMetrics { Scope = new InstrumentationScope { Name = "meter" }, Metrics = { gauge, histogram } } } } },
        };
    }

    private sealed class NoServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}
