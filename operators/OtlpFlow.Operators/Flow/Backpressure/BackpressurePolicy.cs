namespace OtlpFlow.Operators.Flow;

/// <summary>What <c>flow.backpressure</c> does when its buffer is full because downstream is slow.</summary>
public enum BackpressurePolicy
{
    /// <summary>Stops taking input until there is room: upstream slows down. Nothing is lost.</summary>
    Block,

    /// <summary>Drops the arriving batch (counted as <c>bufferFull</c>).</summary>
    DropNewest,

    /// <summary>Drops the oldest buffered batch to make room (counted as <c>bufferFull</c>).</summary>
    DropOldest,

    /// <summary>Writes batches to a disk buffer within a byte budget and replays them in order; blocks when the budget is used up.</summary>
    Spill,
}
