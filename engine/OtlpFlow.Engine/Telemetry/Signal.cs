namespace OtlpFlow.Engine.Telemetry;

/// <summary>The kind of telemetry a batch carries. A batch always carries exactly one.</summary>
public enum Signal
{
    /// <summary>Spans, as <c>ExportTraceServiceRequest</c>.</summary>
    Traces,

    /// <summary>Metric data points, as <c>ExportMetricsServiceRequest</c>.</summary>
    Metrics,

    /// <summary>Log records, as <c>ExportLogsServiceRequest</c>.</summary>
    Logs,
}
