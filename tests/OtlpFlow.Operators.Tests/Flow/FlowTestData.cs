using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;

namespace OtlpFlow.Operators.Tests.Flow;

/// <summary>Trace batches for flow tests, each with its own acknowledgement tracker.</summary>
internal static class FlowTestData
{
    public static ExportTraceServiceRequest Request(int spans, string service = "svc", int firstSpan = 0, string? traceIdHex = null)
    {
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "test" } };
        for (var i = 0; i < spans; i++)
        {
            var traceId = traceIdHex is null ? new byte[16] : Convert.FromHexString(traceIdHex);
            if (traceIdHex is null)
            {
                BitConverter.TryWriteBytes(traceId, firstSpan + i);
            }

            scope.Spans.Add(new Span
            {
                Name = "s" + (firstSpan + i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                TraceId = ByteString.CopyFrom(traceId),
                SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)(firstSpan + i))),
            });
        }

        return new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                new ResourceSpans
                {
                    Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = service } } } },
                    ScopeSpans = { scope },
                },
            },
        };
    }

    public static (TelemetryBatch Batch, AcknowledgementTracker Tracker) Batch(int spans, string? tenant = null, string service = "svc", int firstSpan = 0, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var (share, tracker) = Acknowledgement.Create();
        var context = new BatchContext(tenant, metadata ?? new Dictionary<string, string>(), DateTimeOffset.UnixEpoch);
        return (TelemetryBatch.Create(Request(spans, service, firstSpan), context, share), tracker);
    }

    /// <summary>The span names of a batch, in order.</summary>
    public static IEnumerable<string> Names(TelemetryBatch batch) =>
        batch.Traces!.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).Select(s => s.Name);

    /// <summary>Polls until <paramref name="condition"/> holds, failing after a generous deadline.</summary>
    public static Task Eventually(Func<bool> condition, string? what = null) => Poll.UntilAsync(condition, what ?? "the condition");
}
