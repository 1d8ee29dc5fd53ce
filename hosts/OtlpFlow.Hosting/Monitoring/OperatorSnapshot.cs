namespace OtlpFlow.Hosting.Monitoring;

/// <summary>One operator at one moment: totals since start, and rates over the last sampling interval.</summary>
public sealed class OperatorSnapshot
{
    /// <summary>The operator's id.</summary>
    public required string Id { get; init; }

    /// <summary>Its registered type.</summary>
    public required string Type { get; init; }

    /// <summary><c>source</c>, <c>processor</c> or <c>sink</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>Items received since start.</summary>
    public long ItemsIn { get; init; }

    /// <summary>Items sent on since start (for a sink: delivered).</summary>
    public long ItemsOut { get; init; }

    /// <summary>Items dropped since start, for any reason.</summary>
    public long ItemsDropped { get; init; }

    /// <summary>Batches whose processing failed since start.</summary>
    public long Errors { get; init; }

    /// <summary>Items dropped since start, by reason.</summary>
    public IReadOnlyDictionary<string, long> DroppedByReason { get; init; } = new Dictionary<string, long>();

    /// <summary>Items received per second over the last interval.</summary>
    public double ItemsInPerSecond { get; init; }

    /// <summary>Items sent on (delivered) per second over the last interval.</summary>
    public double ItemsOutPerSecond { get; init; }

    /// <summary>Items dropped per second over the last interval.</summary>
    public double DroppedPerSecond { get; init; }

    /// <summary>Batches waiting at the operator's input at the moment of the sample.</summary>
    public int QueueDepth { get; init; }

    /// <summary>The input's capacity in batches (0 for a source).</summary>
    public int QueueCapacity { get; init; }

    /// <summary><see cref="QueueDepth"/> / <see cref="QueueCapacity"/>, from 0 to 1 (0 for a source).</summary>
    public double QueueFill { get; init; }

    /// <summary>Batches processed over the last interval (the sample behind the latency figures).</summary>
    public long BatchesProcessed { get; init; }

    /// <summary>Mean time the operator spent on one batch over the last interval, in milliseconds; null when it processed none.</summary>
    public double? LatencyMs { get; init; }

    /// <summary>The longest time spent on one batch over the last interval, in milliseconds; null when it processed none.</summary>
    public double? LatencyMaxMs { get; init; }
}
