namespace OtlpFlow.Engine.Pipeline;

/// <summary>One reading of the process's real memory, taken by an <see cref="IMemoryProbe"/>.</summary>
/// <param name="HeapBytes">Bytes on the managed heap, garbage not yet collected included.</param>
/// <param name="WorkingSetBytes">The process's resident memory (working set) in bytes.</param>
public readonly record struct MemoryReading(long HeapBytes, long WorkingSetBytes);
