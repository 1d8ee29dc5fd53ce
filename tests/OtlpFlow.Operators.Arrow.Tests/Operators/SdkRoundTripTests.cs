using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Arrow.Operators;
using OtlpFlow.Operators.Arrow.Tests.Support;
using OtlpFlow.Operators.Otlp.Receiver;

namespace OtlpFlow.Operators.Arrow.Tests.Operators;

/// <summary>
/// Real OpenTelemetry .NET SDK data: the SDK's OTLP exporter sends to otlp.receiver, whose batches
/// go both straight to a recorder and through arrow.encode and arrow.decode to another.
/// </summary>
public sealed class SdkRoundTripTests
{
    private const string Pipeline = """
        { "operators": {
            "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:0", "http": "" },
            "raw": { "type": "test.record", "inputs": ["in"] },
            "enc": { "type": "arrow.encode", "inputs": ["in"] },
            "dec": { "type": "arrow.decode", "inputs": ["enc"] },
            "via": { "type": "test.record", "inputs": ["dec"] } } }
        """;

    private static void Configure(OtlpExporterOptions options, RunningPipeline pipeline)
    {
        options.Protocol = OtlpExportProtocol.Grpc;
        options.Endpoint = ((OtlpReceiverOperator)pipeline.Operators["in"]).GrpcEndpoint!;
        options.ExportProcessorType = ExportProcessorType.Simple;
        options.TimeoutMilliseconds = 30_000;
    }

    [Fact]
    public async Task Sdk_traces_metrics_and_logs_round_trip_losslessly()
    {
        await using var pipeline = Pipelines.Build(Pipeline);
        await pipeline.StartAsync();
        var name = "arrow-sdk-" + Guid.NewGuid().ToString("N");
        var resource = ResourceBuilder.CreateEmpty().AddService("checkout", serviceVersion: "1.0").AddAttributes([new("deployment.environment", "test")]);

        using (var source = new ActivitySource(name, "1.2.3"))
        using (var tracing = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddSource(name).SetSampler(new AlwaysOnSampler())
            .AddOtlpExporter(o => Configure(o, pipeline)).Build())
        {
            for (var i = 0; i < 20; i++)
            {
                using var parent = source.StartActivity("parent", ActivityKind.Server)!;
                parent.SetTag("http.route", "/cart/" + (i % 3));
                parent.SetTag("retries", (long)i);
                parent.SetTag("ratio", i / 7.0);
                parent.SetTag("flags", new[] { "a", "b" });
                using var child = source.StartActivity("child", ActivityKind.Client, parent.Context,
                    links: [new ActivityLink(new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded))])!;
                child.AddEvent(new ActivityEvent("cache-miss", tags: new ActivityTagsCollection { ["key"] = "cart:" + i }));
                child.SetStatus(i % 4 == 0 ? ActivityStatusCode.Error : ActivityStatusCode.Ok, i % 4 == 0 ? "boom" : null);
            }

            Assert.True(tracing.ForceFlush(30_000));
        }

        using (var meter = new Meter(name, "2.0"))
        using (var metrics = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(name)
            .AddOtlpExporter((o, reader) => { Configure(o, pipeline); reader.TemporalityPreference = MetricReaderTemporalityPreference.Delta; }).Build())
        {
            var counter = meter.CreateCounter<long>("requests");
            var histogram = meter.CreateHistogram<double>("latency", "ms");
            var gauge = meter.CreateGauge<int>("queue");
            for (var i = 0; i < 50; i++)
            {
                counter.Add(i, new KeyValuePair<string, object?>("route", "/r" + (i % 4)));
                histogram.Record(i * 1.5, new KeyValuePair<string, object?>("ok", i % 2 == 0));
                gauge.Record(i);
            }

            Assert.True(metrics.ForceFlush(30_000));
        }

        using (var logging = LoggerFactory.Create(b => b.AddOpenTelemetry(o =>
        {
            o.SetResourceBuilder(resource);
            o.IncludeScopes = true;
            o.IncludeFormattedMessage = true;
            o.AddOtlpExporter(e => Configure(e, pipeline));
        })))
        {
            var logger = logging.CreateLogger(name);
            using (logger.BeginScope("order {OrderId}", 42))
            {
                for (var i = 0; i < 20; i++)
                {
                    logger.LogWarning("payment {Attempt} of {Total} failed after {Elapsed} ms", i, 20, i * 2.5);
                }
            }

            logger.LogError(new InvalidOperationException("boom"), "unhandled");
        }

        var raw = (RecordingSink)pipeline.Operators["raw"];
        var via = (RecordingSink)pipeline.Operators["via"];
        await Poll.UntilAsync(() => via.Payloads.Count == raw.Payloads.Count && raw.Payloads.Count >= 3, "every request through the Arrow path", TimeSpan.FromSeconds(30));
        await pipeline.StopAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(raw.Payloads, via.Payloads);
        Assert.Equal(raw.Payloads.Count, ((ArrowDecodeOperator)pipeline.Operators["dec"]).Decoded);
        Assert.Contains(raw.Payloads, p => p is OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest);
        Assert.Contains(raw.Payloads, p => p is OpenTelemetry.Proto.Collector.Metrics.V1.ExportMetricsServiceRequest);
        Assert.Contains(raw.Payloads, p => p is OpenTelemetry.Proto.Collector.Logs.V1.ExportLogsServiceRequest);
    }
}
