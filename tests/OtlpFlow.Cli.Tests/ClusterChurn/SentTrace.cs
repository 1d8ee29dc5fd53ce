namespace OtlpFlow.Cli.Tests.ClusterChurn;

/// <summary>A trace as sent: its requests (encoded ExportTraceServiceRequest messages) in sending order and the spans of each.</summary>
internal sealed record SentTrace(string TraceId, byte[][] Requests, SpanKey[][] SpanKeys);
