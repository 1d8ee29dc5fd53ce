namespace OtlpFlow.Hosting.Monitoring;

/// <summary>A running pipeline at one moment, as the dashboard, <c>otlpflow top</c> and <c>otlpflow perf</c> show it.</summary>
public sealed class PipelineSnapshot
{
    /// <summary>The pipeline's name.</summary>
    public required string Pipeline { get; init; }

    /// <summary>When the sample was taken, by the pipeline clock.</summary>
    public DateTimeOffset Time { get; init; }

    /// <summary>Seconds since monitoring started.</summary>
    public double ElapsedSeconds { get; init; }

    /// <summary>Seconds the rates are computed over (0 for the first sample).</summary>
    public double IntervalSeconds { get; init; }

    /// <summary>A running number, 0 for the first sample.</summary>
    public long Sequence { get; init; }

    /// <summary><c>running</c>, <c>draining</c>, <c>stopped</c> or <c>faulted</c>.</summary>
    public required string State { get; init; }

    /// <summary>Bytes of data in flight (the pipeline's memory budget in use).</summary>
    public long InFlightBytes { get; init; }

    /// <summary>The pipeline's memory budget; 0 for none.</summary>
    public long MemoryLimitBytes { get; init; }

    /// <summary>The operators, in file order.</summary>
    public required IReadOnlyList<OperatorSnapshot> Operators { get; init; }
}
