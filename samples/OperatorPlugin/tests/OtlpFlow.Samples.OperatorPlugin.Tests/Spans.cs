using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Samples.OperatorPlugin.Tests;

/// <summary>Builds small trace requests for the tests.</summary>
internal static class Spans
{
    private static int _next;

    /// <summary>A request with one resource of <paramref name="service"/> holding <paramref name="count"/> spans of 1.5 s, the first <paramref name="errors"/> of them failed.</summary>
    public static ExportTraceServiceRequest Request(string service, int count, int errors = 0)
    {
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "tests" } };
        for (var i = 0; i < count; i++)
        {
            var id = Interlocked.Increment(ref _next);
            var span = new Span
            {
                TraceId = ByteString.CopyFrom(Id(id, 16)),
                SpanId = ByteString.CopyFrom(Id(id, 8)),
                Name = $"op-{i}",
                StartTimeUnixNano = 1_000_000_000,
                EndTimeUnixNano = 2_500_000_000,
            };
            if (i < errors)
            {
                span.Status = new Status { Code = Status.Types.StatusCode.Error };
            }

            scope.Spans.Add(span);
        }

        var resource = new ResourceSpans
        {
            Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = service } } } },
        };
        resource.ScopeSpans.Add(scope);
        return new ExportTraceServiceRequest { ResourceSpans = { resource } };
    }

    private static byte[] Id(int value, int length)
    {
        var bytes = new byte[length];
        BitConverter.TryWriteBytes(bytes.AsSpan(length - 4), value);
        bytes[0] = 0x5a;
        return bytes;
    }
}
