namespace OtlpFlow.Operators.Otlp.Receiver;

/// <summary>When <c>otlp.receiver</c> answers its client.</summary>
public enum OtlpAckMode
{
    /// <summary>Once the request is inside the graph (handed to the operators after the receiver).</summary>
    Accepted,

    /// <summary>
    /// Once every share of the request is settled downstream: delivered by a sink, durably queued,
    /// or refused by a policy (reported as a partial success). A failure is reported as an error.
    /// </summary>
    Delivered,
}
