using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Operators.Otlp.Tests.Support;

namespace OtlpFlow.Operators.Otlp.Tests.Receiver;

/// <summary>The real OpenTelemetry .NET SDK sends to otlp.receiver, which writes with file.writer.</summary>
public sealed class ReceiverSdkTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<TestPipeline> StartAsync(string file) => await TestPipeline.StartAsync($$"""
        { "operators": {
            "in":   { "type": "otlp.receiver", "grpc": "127.0.0.1:0", "http": "127.0.0.1:0" },
            "file": { "type": "file.writer", "inputs": ["in"], "path": {{JsonSerializer.Serialize(file)}} } } }
        """);

    private static string? Str(IEnumerable<KeyValue> attributes, string key) =>
        attributes.FirstOrDefault(a => a.Key == key)?.Value.StringValue;

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task Sdk_spans_arrive_in_the_file_with_ids_attributes_events_links_resource_and_scope(string protocol)
    {
        var file = _dir.File("traces.json");
        await using var pipeline = await StartAsync(file);
        var sourceName = "otlp-test-" + Guid.NewGuid().ToString("N");
        ActivityContext linked;
        string parentTrace, parentSpan, childSpan;
        using (var source = new ActivitySource(sourceName, "1.2.3"))
        using (var provider = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("checkout").AddAttributes([new("deployment.environment", "test")]))
            .AddSource(sourceName)
            .SetSampler(new AlwaysOnSampler())
            .AddOtlpExporter(o => SdkExport.Configure(o, pipeline, protocol, "v1/traces"))
            .Build())
        {
            linked = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
            using (var parent = source.StartActivity("parent", ActivityKind.Server)!)
            {
                parent.SetTag("http.route", "/cart");
                parentTrace = parent.TraceId.ToHexString();
                parentSpan = parent.SpanId.ToHexString();
                using var child = source.StartActivity("child", ActivityKind.Client, parent.Context, links: [new ActivityLink(linked)])!;
                child.SetTag("peer.service", "payments");
                child.SetTag("retries", 3L);
                child.AddEvent(new ActivityEvent("cache-miss", tags: new ActivityTagsCollection { ["key"] = "cart:42" }));
                child.SetStatus(ActivityStatusCode.Error, "boom");
                childSpan = child.SpanId.ToHexString();
            }

            Assert.True(provider.ForceFlush(30_000));
        }

        await pipeline.StopAsync();
        var requests = File.ReadLines(file).Where(l => l.Length > 0).Select(OtlpJson.Parse<ExportTraceServiceRequest>).ToList();
        var resourceSpans = requests.SelectMany(r => r.ResourceSpans).ToList();
        var spans = resourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).ToList();
        Assert.Equal(2, spans.Count);

        Assert.All(resourceSpans, rs =>
        {
            Assert.Equal("checkout", Str(rs.Resource.Attributes, "service.name"));
            Assert.Equal("test", Str(rs.Resource.Attributes, "deployment.environment"));
            Assert.All(rs.ScopeSpans, ss =>
            {
                Assert.Equal(sourceName, ss.Scope.Name);
                Assert.Equal("1.2.3", ss.Scope.Version);
            });
        });

        var parentOut = spans.Single(s => s.Name == "parent");
        var childOut = spans.Single(s => s.Name == "child");
        Assert.Equal(parentTrace, Convert.ToHexStringLower(parentOut.TraceId.Span));
        Assert.Equal(parentSpan, Convert.ToHexStringLower(parentOut.SpanId.Span));
        Assert.Equal(parentTrace, Convert.ToHexStringLower(childOut.TraceId.Span));
        Assert.Equal(childSpan, Convert.ToHexStringLower(childOut.SpanId.Span));
        Assert.Equal(parentSpan, Convert.ToHexStringLower(childOut.ParentSpanId.Span));
        Assert.Equal("/cart", Str(parentOut.Attributes, "http.route"));
        Assert.Equal("payments", Str(childOut.Attributes, "peer.service"));
        Assert.Equal(3, childOut.Attributes.Single(a => a.Key == "retries").Value.IntValue);
        Assert.Equal(OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Client, childOut.Kind);
        Assert.Equal(OpenTelemetry.Proto.Trace.V1.Status.Types.StatusCode.Error, childOut.Status.Code);
        Assert.Equal("boom", childOut.Status.Message);
        var evt = Assert.Single(childOut.Events);
        Assert.Equal("cache-miss", evt.Name);
        Assert.Equal("cart:42", Str(evt.Attributes, "key"));
        var link = Assert.Single(childOut.Links);
        Assert.Equal(linked.TraceId.ToHexString(), Convert.ToHexStringLower(link.TraceId.Span));
        Assert.Equal(linked.SpanId.ToHexString(), Convert.ToHexStringLower(link.SpanId.Span));
        Assert.Equal(2, pipeline.Receiver().Statistics.Accepted);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task Sdk_metrics_arrive_in_the_file_with_names_values_attributes_resource_and_scope(string protocol)
    {
        var file = _dir.File("metrics.json");
        await using var pipeline = await StartAsync(file);
        var meterName = "otlp-test-" + Guid.NewGuid().ToString("N");
        using (var meter = new Meter(meterName, "4.5.6"))
        using (var provider = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("inventory"))
            .AddMeter(meterName)
            .AddOtlpExporter((o, reader) =>
            {
                SdkExport.Configure(o, pipeline, protocol, "v1/metrics");
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 3_600_000;
            })
            .Build())
        {
            var counter = meter.CreateCounter<long>("orders");
            counter.Add(5, new KeyValuePair<string, object?>("region", "eu"));
            counter.Add(2, new KeyValuePair<string, object?>("region", "eu"));
            meter.CreateHistogram<double>("latency").Record(12.5);
            Assert.True(provider.ForceFlush(30_000));
        }

        await pipeline.StopAsync();
        var requests = File.ReadLines(file).Where(l => l.Length > 0).Select(OtlpJson.Parse<ExportMetricsServiceRequest>).ToList();
        var scopeMetrics = requests.SelectMany(r => r.ResourceMetrics).Where(rm => Str(rm.Resource.Attributes, "service.name") == "inventory")
            .SelectMany(rm => rm.ScopeMetrics).Where(sm => sm.Scope.Name == meterName).ToList();
        Assert.NotEmpty(scopeMetrics);
        Assert.All(scopeMetrics, sm => Assert.Equal("4.5.6", sm.Scope.Version));
        var metrics = scopeMetrics.SelectMany(sm => sm.Metrics).ToList();
        var orders = metrics.First(m => m.Name == "orders");
        var point = Assert.Single(orders.Sum.DataPoints);
        Assert.Equal(7, point.AsInt);
        Assert.Equal("eu", Str(point.Attributes, "region"));
        var latency = metrics.First(m => m.Name == "latency");
        Assert.Equal(12.5, Assert.Single(latency.Histogram.DataPoints).Sum);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task Sdk_logs_arrive_in_the_file_with_body_severity_attributes_trace_context_and_resource(string protocol)
    {
        var file = _dir.File("logs.json");
        await using var pipeline = await StartAsync(file);
        string traceId;
        using (var factory = LoggerFactory.Create(builder => builder.AddOpenTelemetry(o =>
        {
            o.SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("billing"));
            o.AddOtlpExporter((exporter, processor) =>
            {
                SdkExport.Configure(exporter, pipeline, protocol, "v1/logs");
                processor.ExportProcessorType = ExportProcessorType.Simple;
            });
        })))
        {
            var logger = factory.CreateLogger("Billing.Invoices");
            using var activity = new Activity("op").SetIdFormat(ActivityIdFormat.W3C).Start();
            traceId = activity.TraceId.ToHexString();
            logger.LogWarning("invoice {InvoiceId} is late", 4711);
        }

        await pipeline.StopAsync();
        var requests = File.ReadLines(file).Where(l => l.Length > 0).Select(OtlpJson.Parse<ExportLogsServiceRequest>).ToList();
        var resourceLogs = Assert.Single(requests.SelectMany(r => r.ResourceLogs));
        Assert.Equal("billing", Str(resourceLogs.Resource.Attributes, "service.name"));
        var scopeLogs = Assert.Single(resourceLogs.ScopeLogs);
        Assert.Equal("Billing.Invoices", scopeLogs.Scope.Name);
        var record = Assert.Single(scopeLogs.LogRecords);
        Assert.Equal(OpenTelemetry.Proto.Logs.V1.SeverityNumber.Warn, record.SeverityNumber);
        Assert.Contains("4711", record.Body.StringValue + string.Join(",", record.Attributes.Select(a => a.Value.ToString())), StringComparison.Ordinal);
        Assert.Equal(4711, record.Attributes.Single(a => a.Key == "InvoiceId").Value.IntValue);
        Assert.Equal(traceId, Convert.ToHexStringLower(record.TraceId.Span));
    }
}
