namespace OtlpFlow.Cli.Tests;

/// <summary>
/// The tests that bound a child process's peak resident memory (the memory admission and overload
/// tests) run one at a time, after the tests that run in parallel: next to a test saturating both
/// cores, the child's garbage collector falls behind and its peak measures the neighbour, not the
/// budget.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryPeakCollection
{
    public const string Name = "memory peaks, alone";
}
