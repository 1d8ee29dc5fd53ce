using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtlpFlow.Cli.Tests.ClusterChurn;

/// <summary>A trace as sent: its requests in sending order and the spans of each.</summary>
internal sealed record SentTrace(string TraceId, ExportTraceServiceRequest[] Requests, SpanKey[][] SpanKeys);
