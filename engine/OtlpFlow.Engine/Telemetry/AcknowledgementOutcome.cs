namespace OtlpFlow.Engine.Telemetry;

/// <summary>How one share of an acknowledgement was settled.</summary>
public enum AcknowledgementOutcome
{
    /// <summary>Passed on: the share's data now lives in other shares, or reached a sink or durable queue.</summary>
    Delivered,

    /// <summary>Refused by a policy (filter, sampler, limiter). Counted, and still a success for the client.</summary>
    Refused,

    /// <summary>Failed: an error lost the data. The client's request fails.</summary>
    Failed,
}
