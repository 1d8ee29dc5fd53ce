namespace OtlpFlow.Operators.Coordination.Load;

/// <summary>One instance's load, as the <see cref="LoadMonitor"/> measured it over its last interval.</summary>
/// <param name="Cpu">Share of the machine's processors this process used, 0 to 1.</param>
/// <param name="MemoryBytes">Managed heap in use, bytes.</param>
/// <param name="WorkingSetBytes">The process's working set, bytes.</param>
/// <param name="GcPauseRatio">Share of the interval the process spent paused for garbage collection, 0 to 1.</param>
/// <param name="Gen2Collections">Full collections during the interval.</param>
/// <param name="QueueFill">The fullest operator input queue of the pipeline, as a share of its capacity, 0 to 1.</param>
public sealed record LoadReport(double Cpu, long MemoryBytes, long WorkingSetBytes, double GcPauseRatio, int Gen2Collections, double QueueFill)
{
    /// <summary>One figure to rank instances by (least loaded first): the worst of CPU, GC pauses and queue fill.</summary>
    public double Score => Math.Max(Cpu, Math.Max(GcPauseRatio, QueueFill));

    /// <summary>
    /// When the report was measured, by the publishing instance's clock. Readers judge freshness by
    /// when they saw a report change, not by this time, so clock skew between instances does not
    /// matter; it makes every publication a new value.
    /// </summary>
    public DateTimeOffset MeasuredAt { get; init; }
}
