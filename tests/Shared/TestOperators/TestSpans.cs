using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Tests.Shared;

/// <summary>Makes small trace batches.</summary>
public static class TestSpans
{
    public static TelemetryBatch Batch(int spans)
    {
        var scope = new ScopeSpans();
        for (var i = 0; i < spans; i++)
        {
            scope.Spans.Add(new Span { Name = $"span-{i}" });
        }

        var resource = new ResourceSpans();
        resource.ScopeSpans.Add(scope);
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(resource);
        return TelemetryBatch.Create(request);
    }
}
