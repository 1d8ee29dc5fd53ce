using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Files;

namespace OtlpFlow.Operators.Tests.Routing;

/// <summary>Batches, registries and pipelines for the routing tests.</summary>
internal static class RoutingTestData
{
    public static OperatorRegistry Registry() => new OperatorRegistry()
        .AddAssembly(typeof(FileWriterOperator).Assembly)
        .AddOperator<Flow.CountingSink>("test.count")
        .AddOperator<SlowSink, SlowSinkOptions>("test.slow")
        .AddOperator<FailSink>("test.failEach");

    public static async Task<RunningPipeline> RunAsync(string json, IServiceProvider? services = null)
    {
        var pipeline = new PipelineBuilder(Registry(), services).Build(PipelineLoader.Parse(json, "test.json"));
        await pipeline.StartAsync();
        await pipeline.Completion;
        return pipeline;
    }

    public static async Task<RunningPipeline> StartAsync(string json, IServiceProvider? services = null)
    {
        var pipeline = new PipelineBuilder(Registry(), services).Build(PipelineLoader.Parse(json, "test.json"));
        await pipeline.StartAsync();
        return pipeline;
    }

    public static Span Span(string name, int trace, Status.Types.StatusCode status = Status.Types.StatusCode.Unset)
    {
        var traceId = new byte[16];
        BitConverter.TryWriteBytes(traceId, trace);
        traceId[15] = 1;
        return new Span
        {
            Name = name,
            TraceId = ByteString.CopyFrom(traceId),
            SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)trace + 1)),
            Status = new Status { Code = status },
        };
    }

    public static Resource Resource(string service, params (string Key, string Value)[] attributes)
    {
        var resource = new Resource();
        resource.Attributes.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = service } });
        foreach (var (key, value) in attributes)
        {
            resource.Attributes.Add(new KeyValue { Key = key, Value = new AnyValue { StringValue = value } });
        }

        return resource;
    }

    /// <summary>One resource with one scope holding <paramref name="spans"/>.</summary>
    public static TelemetryBatch Batch(Resource resource, params Span[] spans)
    {
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "lib" } };
        scope.Spans.AddRange(spans);
        var rs = new ResourceSpans { Resource = resource };
        rs.ScopeSpans.Add(scope);
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(rs);
        return TelemetryBatch.Create(request, ack: Acknowledgement.Create().Share);
    }

    /// <summary>A batch with several resources, one span each.</summary>
    public static TelemetryBatch Batch(params (Resource Resource, Span Span)[] items)
    {
        var request = new ExportTraceServiceRequest();
        foreach (var (resource, span) in items)
        {
            var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "lib" } };
            scope.Spans.Add(span);
            var rs = new ResourceSpans { Resource = resource };
            rs.ScopeSpans.Add(scope);
            request.ResourceSpans.Add(rs);
        }

        return TelemetryBatch.Create(request, ack: Acknowledgement.Create().Share);
    }

    public static IEnumerable<Span> Spans(TelemetryBatch batch) =>
        batch.Traces!.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans);

    public static IEnumerable<string> SpanNames(IEnumerable<TelemetryBatch> batches) => batches.SelectMany(Spans).Select(s => s.Name);
}
