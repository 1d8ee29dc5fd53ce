using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>Keeping a batch past the call that received it.</summary>
internal static class HeldBatch
{
    /// <summary>
    /// The same data with its own acknowledgement share, for an operator that emits it later: the
    /// engine releases the input's share when the call returns, and this one stays open until the
    /// held batch is emitted, dropped or failed.
    /// </summary>
    public static TelemetryBatch Hold(TelemetryBatch batch) => batch.WithContext(batch.Context);
}
