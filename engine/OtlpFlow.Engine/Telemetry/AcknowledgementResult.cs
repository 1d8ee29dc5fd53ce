namespace OtlpFlow.Engine.Telemetry;

/// <summary>The settled state of a whole request: every share of it has been settled.</summary>
/// <param name="RefusedItems">Items refused by policies (filters, samplers, limiters).</param>
/// <param name="FailedItems">Items lost to errors.</param>
/// <param name="Error">The first error, when any share failed.</param>
/// <param name="RefusalReason">The first refusal reason, when anything was refused.</param>
public sealed record AcknowledgementResult(long RefusedItems, long FailedItems, Exception? Error, string? RefusalReason)
{
    /// <summary>True when no share failed. Refusals by policy are a success for the client.</summary>
    public bool Succeeded => Error is null && FailedItems == 0;
}
