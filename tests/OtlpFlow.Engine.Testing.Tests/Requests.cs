using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Engine.Testing.Tests;

/// <summary>Small trace requests for the tests.</summary>
internal static class Requests
{
    public static ExportTraceServiceRequest Traces(params Span[] spans) =>
        new() { ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { spans } } } } } };

    public static ExportTraceServiceRequest Traces(int spans, string name = "s") =>
        Traces(Enumerable.Range(0, spans).Select(i => new Span { Name = name, SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)i)) }).ToArray());

    public static IEnumerable<Span> Spans(ExportTraceServiceRequest request) =>
        request.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans);
}
