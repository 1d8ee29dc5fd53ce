using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Operators;

/// <summary>
/// Where an operator sends its results: the engine passes one to every call (<c>ProcessAsync</c>,
/// <c>TickAsync</c>, <c>FlushAsync</c>, a source's <c>RunAsync</c>). Every send waits for room
/// downstream (backpressure) and reaches every operator linked to the port. Counting (items out,
/// drops by reason) happens here, so operators never keep their own conservation counters, and a
/// batch handed to it is the engine's to settle: a send that fails fails the batch's clients.
/// </summary>
public interface IOperatorOutput
{
    /// <summary>The name of the default port.</summary>
    public const string DefaultPort = "out";

    /// <summary>The name of the port for refused data, which every operator has.</summary>
    public const string DroppedPort = "dropped";

    /// <summary>Sends a batch to the <c>"out"</c> port.</summary>
    ValueTask EmitAsync(TelemetryBatch batch, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends a batch to a named port. Data sent to a port that nothing reads is counted as dropped
    /// (reason <c>unrouted</c>). For a source, a batch handed over is in flight: a graceful stop
    /// drains it rather than cancelling the send, so the token only matters to processors.
    /// </summary>
    ValueTask EmitAsync(string port, TelemetryBatch batch, CancellationToken cancellationToken = default);

    /// <summary>
    /// Refuses a whole batch: counts its items as dropped for <paramref name="reason"/> and sends it
    /// to the <c>"dropped"</c> port when one is linked; otherwise settles its acknowledgement as refused.
    /// </summary>
    ValueTask DropAsync(TelemetryBatch batch, string reason, CancellationToken cancellationToken = default);

    /// <summary>
    /// Counts items removed from a batch that goes on in a smaller form (a filter that keeps part of
    /// a batch): they are counted as dropped for <paramref name="reason"/>.
    /// </summary>
    void CountDropped(long items, string reason);

    /// <summary>
    /// Counts items that came back to the operator after it had sent them on, to be sent again or
    /// dropped (a failover re-sending what a target failed). Conservation then reads
    /// in + returned = out + dropped.
    /// </summary>
    void CountReturned(long items);

    /// <summary>
    /// Counts items the operator made rather than received (metrics computed from spans, a copy
    /// sent twice), so conservation reads in + returned + created = out + dropped.
    /// </summary>
    void CountCreated(long items)
    {
    }

    /// <summary>True when some operator reads <paramref name="port"/>.</summary>
    bool IsLinked(string port);
}
