using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Tests.Resilience;

/// <summary>Trace batches with random trace ids (seeded) and an attribute per span, each with its own tracker.</summary>
internal static class ResilienceTestData
{
    public static (TelemetryBatch Batch, AcknowledgementTracker Tracker) Batch(int spans, Random random)
    {
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "test" } };
        for (var i = 0; i < spans; i++)
        {
            var traceId = new byte[16];
            random.NextBytes(traceId);
            scope.Spans.Add(new Span
            {
                Name = "s",
                TraceId = ByteString.CopyFrom(traceId),
                SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)i)),
                Attributes = { Attribute("http.url", "/x"), Attribute("keep", "y") },
            });
        }

        var request = new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                new ResourceSpans { Resource = new Resource { Attributes = { Attribute("service.name", "svc") } }, ScopeSpans = { scope } },
            },
        };
        var (share, tracker) = Acknowledgement.Create();
        return (TelemetryBatch.Create(request, ack: share), tracker);
    }

    private static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };
}
