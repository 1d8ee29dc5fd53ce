namespace OtlpFlow.Engine.Pipeline;

/// <summary>
/// How a <see cref="MemoryBudget"/> with a limit watches the process's real memory (guarantee 7).
/// With a budget of <c>L</c> bytes the managed heap may grow by a headroom of
/// <see cref="HeapLimitFactor"/> × L (at least <see cref="MinimumHeadroomBytes"/>) over what it held
/// when the pipeline was built. Past <see cref="SoftLimitRatio"/> of the headroom the guard refuses
/// reservations (receivers answer with throttling codes, generators wait) until a reading falls
/// below it again. While refusing, and whenever the heap passes the whole headroom or the working
/// set grows by twice the headroom, it forces a full collection, at most once per
/// <see cref="MinCollectionInterval"/>.
/// </summary>
public sealed class MemoryGuardOptions
{
    /// <summary>How often the guard reads the process. Default 100 ms.</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The managed heap's headroom as a multiple of the budget. Default 1.5, the factor of guarantee
    /// 7. A tighter headroom (1 ×) was tried: under a flood of requests larger than the budget
    /// allows at once, the guard then refused every body half-read, and no request got through.
    /// </summary>
    public double HeapLimitFactor { get; init; } = 1.5;

    /// <summary>
    /// The least headroom, whatever the budget: between two collections the heap also holds
    /// garbage (a few MiB of youngest generation at least), which a tiny budget must not mistake
    /// for held data. Default 64 MiB.
    /// </summary>
    public long MinimumHeadroomBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// The share of the heap headroom past which reservations are refused; the rest is the allowance
    /// for spikes between two readings, as the OpenTelemetry Collector's memory_limiter keeps 20%.
    /// Default 0.85.
    /// </summary>
    public double SoftLimitRatio { get; init; } = 0.85;

    /// <summary>The least time between two forced collections. Default 1 s.</summary>
    public TimeSpan MinCollectionInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The clock of the periodic check. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>What measures the process. Default <see cref="ProcessMemoryProbe.Instance"/>.</summary>
    public IMemoryProbe Probe { get; init; } = ProcessMemoryProbe.Instance;
}
