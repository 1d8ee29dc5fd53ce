namespace OtlpFlow.Engine.Telemetry;

/// <summary>
/// The root of an acknowledgement: one per client request (or per batch a source makes). It counts
/// the outstanding shares; when the count reaches zero, <see cref="Completion"/> completes with the
/// combined outcome. Shares are <see cref="Acknowledgement"/> instances held by batches.
/// </summary>
public sealed class AcknowledgementTracker
{
    private readonly Action<AcknowledgementTracker, AcknowledgementResult>? _onSettled;

    // Made only when someone waits: most trackers (a generator's) are never awaited, and the data
    // path should not pay for a task per batch.
    private TaskCompletionSource<AcknowledgementResult>? _completion;
    private AcknowledgementResult? _result;
    private int _outstanding;
    private long _refusedItems;
    private long _failedItems;
    private Exception? _error;
    private string? _refusalReason;

    /// <summary>Creates a tracker with one outstanding share, returned by <see cref="Acknowledgement.Create"/>.</summary>
    internal AcknowledgementTracker(long sizeBytes, Action<AcknowledgementTracker, AcknowledgementResult>? onSettled)
    {
        SizeBytes = sizeBytes;
        _outstanding = 1;
        _onSettled = onSettled;
    }

    /// <summary>Completes once every share is settled; never faults (failures are in the result).</summary>
    public Task<AcknowledgementResult> Completion
    {
        get
        {
            if (Volatile.Read(ref _result) is { } settled)
            {
                return Task.FromResult(settled);
            }

            var completion = Volatile.Read(ref _completion);
            if (completion is null)
            {
                var created = new TaskCompletionSource<AcknowledgementResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                completion = Interlocked.CompareExchange(ref _completion, created, null) ?? created;
            }

            // Settle publishes the result before looking for a waiter, and this looks for the
            // result after publishing the waiter: one of the two always completes the task.
            if (Volatile.Read(ref _result) is { } result)
            {
                completion.TrySetResult(result);
            }

            return completion.Task;
        }
    }

    /// <summary>The encoded size of the request this tracker stands for, for memory accounting.</summary>
    public long SizeBytes { get; }

    /// <summary>Shares not yet settled.</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    internal void AddShares(int count)
    {
        // A tracker that already reached zero has answered its client; adding to it would be a bug
        // in an operator that kept a batch after releasing it.
        if (Interlocked.Add(ref _outstanding, count) - count <= 0)
        {
            throw new InvalidOperationException("A share was taken from an acknowledgement that was already settled.");
        }
    }

    internal void Settle(AcknowledgementOutcome outcome, long items, string? reason, Exception? error)
    {
        switch (outcome)
        {
            case AcknowledgementOutcome.Refused:
                Interlocked.Add(ref _refusedItems, items);
                Interlocked.CompareExchange(ref _refusalReason, reason ?? "refused", null);
                break;
            case AcknowledgementOutcome.Failed:
                Interlocked.Add(ref _failedItems, items);
                Interlocked.CompareExchange(ref _error, error ?? new InvalidOperationException(reason ?? "failed"), null);
                break;
        }

        if (Interlocked.Decrement(ref _outstanding) == 0)
        {
            var result = new AcknowledgementResult(
                Interlocked.Read(ref _refusedItems), Interlocked.Read(ref _failedItems), Volatile.Read(ref _error), Volatile.Read(ref _refusalReason));
            Interlocked.Exchange(ref _result, result);
            _onSettled?.Invoke(this, result);
            Volatile.Read(ref _completion)?.TrySetResult(result);
        }
    }
}
