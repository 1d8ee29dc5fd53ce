namespace OtlpFlow.Operators.Resilience;

/// <summary>What a <c>resilience.failover</c> did, for tests and dashboards.</summary>
public sealed class FailoverStatistics
{
    private long _sent;
    private long _resent;
    private long _delivered;
    private long _failed;
    private long _switches;

    /// <summary>Created by the operator that counts.</summary>
    internal FailoverStatistics()
    {
    }

    /// <summary>Batches sent to a target, re-sends included.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Batches sent again after a target failed them.</summary>
    public long Resent => Interlocked.Read(ref _resent);

    /// <summary>Items acknowledged by some target.</summary>
    public long DeliveredItems => Interlocked.Read(ref _delivered);

    /// <summary>Items given up on (retry limits reached, or the pipeline stopped first).</summary>
    public long FailedItems => Interlocked.Read(ref _failed);

    /// <summary>Times the preferred target changed (fail over or fail back).</summary>
    public long Switches => Interlocked.Read(ref _switches);

    internal void CountSent(bool resend)
    {
        Interlocked.Increment(ref _sent);
        if (resend)
        {
            Interlocked.Increment(ref _resent);
        }
    }

    internal void CountDelivered(long items) => Interlocked.Add(ref _delivered, items);

    internal void CountFailed(long items) => Interlocked.Add(ref _failed, items);

    internal void CountSwitch() => Interlocked.Increment(ref _switches);
}
