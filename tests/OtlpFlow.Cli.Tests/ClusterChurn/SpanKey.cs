namespace OtlpFlow.Cli.Tests.ClusterChurn;

/// <summary>A span's identity: its trace id and span id, in lower-case hex.</summary>
internal readonly record struct SpanKey(string TraceId, string SpanId);
