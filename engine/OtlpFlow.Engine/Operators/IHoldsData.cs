namespace OtlpFlow.Engine.Operators;

/// <summary>
/// An operator that holds data for a while (a tail sampler's undecided traces): how much it held at
/// its peak, so that reports such as <c>otlpflow perf</c> can show it next to the process's memory.
/// </summary>
public interface IHoldsData
{
    /// <summary>The most items (spans, data points, log records) held at once.</summary>
    long PeakHeldItems { get; }

    /// <summary>The most bytes held at once, as the operator's own budget counts them.</summary>
    long PeakHeldBytes { get; }
}
