namespace OtlpFlow.Operators.Flow;

/// <summary>What a scheduler does with a batch whose queue is full.</summary>
public enum QueueFullAction
{
    /// <summary>Waits for room: backpressure on the scheduler's input (and so on every key behind it).</summary>
    Block,

    /// <summary>Drops the batch (counted as <c>queueFull</c>): a full key never holds up the others.</summary>
    DropNewest,
}
