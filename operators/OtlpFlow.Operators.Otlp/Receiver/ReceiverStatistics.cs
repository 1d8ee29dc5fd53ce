namespace OtlpFlow.Operators.Otlp.Receiver;

/// <summary>Counts of the answers an <c>otlp.receiver</c> gave, by kind.</summary>
public sealed class ReceiverStatistics
{
    private long _accepted;
    private long _partial;
    private long _invalid;
    private long _tooLarge;
    private long _unavailable;
    private long _throttled;
    private long _unauthenticated;
    private long _failed;
    private long _ackTimeouts;
    private readonly TaskCompletionSource _firstRetryable = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Created by the operator that counts.</summary>
    internal ReceiverStatistics()
    {
    }

    /// <summary>Requests answered with success (including partial successes).</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Requests answered with a partial success.</summary>
    public long PartialSuccesses => Interlocked.Read(ref _partial);

    /// <summary>Requests refused as malformed (INVALID_ARGUMENT / 400, 404, 405, 415).</summary>
    public long Invalid => Interlocked.Read(ref _invalid);

    /// <summary>Requests larger than <c>maxRequestSize</c>.</summary>
    public long TooLarge => Interlocked.Read(ref _tooLarge);

    /// <summary>Requests told to retry (UNAVAILABLE / 503): the graph had no room in time, or their data failed downstream with a transient error.</summary>
    public long Unavailable => Interlocked.Read(ref _unavailable);

    /// <summary>Requests told to retry because of the memory budget (RESOURCE_EXHAUSTED / 429).</summary>
    public long Throttled => Interlocked.Read(ref _throttled);

    /// <summary>Requests refused for missing or wrong credentials.</summary>
    public long Unauthenticated => Interlocked.Read(ref _unauthenticated);

    /// <summary>Requests whose data failed downstream with a permanent error (answered INVALID_ARGUMENT / 400), or that the receiver failed to process.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>
    /// Requests answered UNAVAILABLE because their delivery was not settled within <c>ackTimeout</c>
    /// (also counted in <see cref="Unavailable"/>); their data stayed in the pipeline.
    /// </summary>
    public long AckTimeouts => Interlocked.Read(ref _ackTimeouts);

    /// <summary>Requests told to retry, for any reason.</summary>
    public long Retryable => Unavailable + Throttled;

    /// <summary>Completes when the first client is told to retry (for tests that wait for throttling).</summary>
    internal Task FirstRetryable => _firstRetryable.Task;

    internal void CountAckTimeout() => Interlocked.Increment(ref _ackTimeouts);

    internal ReceiveOutcome Count(ReceiveOutcome outcome)
    {
        switch (outcome.Status)
        {
            case ReceiveStatus.Ok:
                Interlocked.Increment(ref _accepted);
                if (outcome.Rejected > 0)
                {
                    Interlocked.Increment(ref _partial);
                }

                break;
            case ReceiveStatus.InvalidArgument:
                Interlocked.Increment(ref _invalid);
                break;
            case ReceiveStatus.TooLarge:
                Interlocked.Increment(ref _tooLarge);
                break;
            case ReceiveStatus.Unavailable:
                Interlocked.Increment(ref _unavailable);
                _firstRetryable.TrySetResult();
                break;
            case ReceiveStatus.Throttled:
                Interlocked.Increment(ref _throttled);
                _firstRetryable.TrySetResult();
                break;
            case ReceiveStatus.Unauthenticated:
                Interlocked.Increment(ref _unauthenticated);
                break;
            default:
                Interlocked.Increment(ref _failed);
                break;
        }

        return outcome;
    }
}
