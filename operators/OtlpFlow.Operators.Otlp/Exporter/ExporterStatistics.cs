namespace OtlpFlow.Operators.Otlp.Exporter;

/// <summary>What an <c>otlp.exporter</c> has sent, by outcome, in items.</summary>
public sealed class ExporterStatistics
{
    private long _sent;
    private long _rejected;
    private long _failed;
    private long _retries;
    private long _partialSuccesses;

    /// <summary>Created by the operator that counts.</summary>
    internal ExporterStatistics()
    {
    }

    /// <summary>Items the peer accepted (partial successes count their accepted part).</summary>
    public long SentItems => Interlocked.Read(ref _sent);

    /// <summary>Items the peer rejected in partial successes (never retried).</summary>
    public long RejectedItems => Interlocked.Read(ref _rejected);

    /// <summary>Items that failed: a permanent error, or retries given up.</summary>
    public long FailedItems => Interlocked.Read(ref _failed);

    /// <summary>Attempts that were retries.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Responses that were partial successes.</summary>
    public long PartialSuccesses => Interlocked.Read(ref _partialSuccesses);

    internal void CountSent(long items, long rejected)
    {
        Interlocked.Add(ref _sent, Math.Max(0, items - rejected));
        if (rejected > 0)
        {
            Interlocked.Add(ref _rejected, rejected);
        }
    }

    internal void CountPartial() => Interlocked.Increment(ref _partialSuccesses);

    internal void CountFailed(long items) => Interlocked.Add(ref _failed, items);

    internal void CountRetry() => Interlocked.Increment(ref _retries);
}
