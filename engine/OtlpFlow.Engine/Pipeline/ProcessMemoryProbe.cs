namespace OtlpFlow.Engine.Pipeline;

/// <summary>
/// Reads this process: the managed heap with <see cref="GC.GetTotalMemory(bool)"/> (no collection,
/// so garbage not yet collected counts) and the working set with <see cref="Environment.WorkingSet"/>.
/// Both take microseconds, which is why the guard reads them on a timer and caches the result.
/// </summary>
public sealed class ProcessMemoryProbe : IMemoryProbe
{
    private ProcessMemoryProbe()
    {
    }

    /// <summary>The one instance.</summary>
    public static ProcessMemoryProbe Instance { get; } = new();

    /// <inheritdoc/>
    public MemoryReading Read() => new(GC.GetTotalMemory(forceFullCollection: false), Environment.WorkingSet);

    /// <inheritdoc/>
    public void Collect(bool aggressive)
    {
        // Aggressive also decommits the free space, so the working set falls, not only the heap;
        // the runtime requires it to be blocking and compacting.
        if (aggressive)
        {
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
        else
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
    }
}
