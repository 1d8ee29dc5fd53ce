namespace OtlpFlow.Engine.Pipeline;

/// <summary>
/// How a <see cref="MemoryBudget"/>'s guard measures the process and forces a collection. The
/// default, <see cref="ProcessMemoryProbe"/>, reads this process; tests substitute their own to
/// drive the guard deterministically.
/// </summary>
public interface IMemoryProbe
{
    /// <summary>Measures the process now. Called from the guard's timer, never on the data path.</summary>
    MemoryReading Read();

    /// <summary>Forces a full, blocking garbage collection; <paramref name="aggressive"/> also returns free memory to the system.</summary>
    void Collect(bool aggressive);
}
