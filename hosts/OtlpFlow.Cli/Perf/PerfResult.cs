namespace OtlpFlow.Cli.Perf;

/// <summary>What <c>otlpflow perf</c> measured; written as JSON with <c>--json</c> (camelCase names).</summary>
internal sealed class PerfResult
{
    /// <summary>The pipeline's name.</summary>
    public required string Pipeline { get; init; }

    /// <summary>The graph file.</summary>
    public required string Graph { get; init; }

    /// <summary>When the run started (UTC).</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>The machine and runtime.</summary>
    public required PerfMachine Machine { get; init; }

    /// <summary>Seconds of warm-up before measuring.</summary>
    public double WarmupSeconds { get; init; }

    /// <summary>Seconds measured.</summary>
    public double DurationSeconds { get; init; }

    /// <summary>Items the <c>generate</c> sources emitted per second over the measured window.</summary>
    public double ItemsPerSecond { get; init; }

    /// <summary>Batches the sources emitted per second over the window.</summary>
    public double BatchesPerSecond { get; init; }

    /// <summary>Encoded bytes the sources emitted per second over the window.</summary>
    public double BytesPerSecond { get; init; }

    /// <summary><see cref="BytesPerSecond"/> in megabytes (10^6 bytes) per second.</summary>
    public double MegabytesPerSecond => BytesPerSecond / 1e6;

    /// <summary>Items the sinks delivered per second over the window.</summary>
    public double DeliveredPerSecond { get; init; }

    /// <summary>Items the sources emitted into the graph over the whole run, warm-up included.</summary>
    public long ItemsGenerated { get; init; }

    /// <summary>Items made after the window, held back and then refused by the perf probes (not drops of the graph).</summary>
    public long ItemsAfterWindow { get; init; }

    /// <summary>End-to-end latency of the window's batches, from the generator's stamp to the settling of every part of the batch.</summary>
    public required PerfLatency LatencyMs { get; init; }

    /// <summary>Items dropped by any operator over the whole run.</summary>
    public long Dropped { get; init; }

    /// <summary>Dropped items by reason over the whole run.</summary>
    public IReadOnlyDictionary<string, long> DroppedByReason { get; init; } = new Dictionary<string, long>();

    /// <summary>Operators whose counters did not balance over the run, each as its warning line; empty when conservation held.</summary>
    public IReadOnlyList<string> Unbalanced { get; init; } = [];

    /// <summary><see cref="Dropped"/> / <see cref="ItemsGenerated"/>.</summary>
    public double DropRatio { get; init; }

    /// <summary>The process's peak working set (resident memory) in bytes: VmHWM on Linux, over the whole run.</summary>
    public long PeakMemoryBytes { get; init; }

    /// <summary>The pipeline's <c>memoryLimit</c> in bytes, which the peak working set is held to; null when not set.</summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>The share of the measured window the garbage collector paused the process (<see cref="PerfGc.PauseMs"/> / window), 0 to 1.</summary>
    public double GcPauseRatio { get; init; }

    /// <summary>Full collections the memory guard forced over the run (with a <c>memoryLimit</c> only).</summary>
    public long ForcedCollections { get; init; }

    /// <summary>Reservations the memory budget or its guard refused over the run.</summary>
    public long RefusedReservations { get; init; }

    /// <summary>The most bytes of data in flight in the pipeline at once.</summary>
    public long PeakInFlightBytes { get; init; }

    /// <summary>Garbage collections and allocations over the window.</summary>
    public required PerfGc Gc { get; init; }

    /// <summary>Per operator, over the window.</summary>
    public required IReadOnlyList<PerfOperator> Operators { get; init; }

    /// <summary>The graph's expectations, checked.</summary>
    public IReadOnlyList<PerfExpectationResult> Expectations { get; set; } = [];

    /// <summary>True when the run ended well and met every expectation.</summary>
    public bool Passed { get; set; }
}
