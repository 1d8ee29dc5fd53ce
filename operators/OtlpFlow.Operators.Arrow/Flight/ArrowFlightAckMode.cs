namespace OtlpFlow.Operators.Arrow.Flight;

/// <summary>When <c>arrow.flight.receiver</c> acknowledges a batch to the exporter.</summary>
public enum ArrowFlightAckMode
{
    /// <summary>Once the batch is inside the graph.</summary>
    Accepted,

    /// <summary>Once every share of the batch is settled downstream (delivered, queued or refused by a policy); a failure is reported back.</summary>
    Delivered,
}
