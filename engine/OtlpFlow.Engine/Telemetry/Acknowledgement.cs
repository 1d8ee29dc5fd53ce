namespace OtlpFlow.Engine.Telemetry;

/// <summary>
/// One share of one or more requests' acknowledgements, held by exactly one batch. A batch derived
/// from another takes a new share (<see cref="AddShare"/>) before the parent's is released; a batch
/// merged from several holds the shares of all of them (<see cref="Merge"/>). A request is answered
/// when all of its shares are settled.
/// </summary>
/// <remarks>
/// Settling is idempotent: the first call wins, later ones do nothing. The engine relies on this
/// to release an input's share after an operator is done with it, whatever the operator did.
/// </remarks>
public sealed class Acknowledgement
{
    private static readonly AcknowledgementTracker[] NoTrackers = [];
    private readonly AcknowledgementTracker[] _trackers;
    private int _settled;
    private Action? _whenSettled;

    private Acknowledgement(AcknowledgementTracker[] trackers) => _trackers = trackers;

    /// <summary>A share of nothing: for data that no client waits for. Settling it does nothing.</summary>
    public static Acknowledgement None => new(NoTrackers);

    /// <summary>Starts a new request: returns its tracker and the first share of it.</summary>
    /// <param name="sizeBytes">The request's size for memory accounting.</param>
    /// <param name="onSettled">Called once, synchronously, when the last share is settled.</param>
    public static (Acknowledgement Share, AcknowledgementTracker Tracker) Create(
        long sizeBytes = 0, Action<AcknowledgementTracker, AcknowledgementResult>? onSettled = null)
    {
        var tracker = new AcknowledgementTracker(sizeBytes, onSettled);
        return (new Acknowledgement([tracker]), tracker);
    }

    /// <summary>True when this share belongs to no request.</summary>
    public bool IsNone => _trackers.Length == 0;

    /// <summary>True once this share has been settled or merged into another.</summary>
    public bool IsSettled => Volatile.Read(ref _settled) != 0;

    /// <summary>The requests this share belongs to.</summary>
    public IReadOnlyList<AcknowledgementTracker> Trackers => _trackers;

    /// <summary>
    /// Takes another share of the same requests, for a batch derived from this one or kept longer
    /// than the call that received it. Take it before this share is settled.
    /// </summary>
    public Acknowledgement AddShare()
    {
        if (IsSettled)
        {
            throw new InvalidOperationException("Cannot take a share of an acknowledgement that is already settled; take it before the batch is released.");
        }

        foreach (var tracker in _trackers)
        {
            tracker.AddShares(1);
        }

        return new Acknowledgement(_trackers);
    }

    /// <summary>
    /// Combines shares into one, for a batch merged from several. The given shares are consumed:
    /// they count as settled and the result carries their weight.
    /// </summary>
    public static Acknowledgement Merge(IReadOnlyCollection<Acknowledgement> shares)
    {
        ArgumentNullException.ThrowIfNull(shares);
        var trackers = new List<AcknowledgementTracker>();
        foreach (var share in shares)
        {
            if (Interlocked.Exchange(ref share._settled, 1) != 0)
            {
                throw new InvalidOperationException("Cannot merge an acknowledgement that is already settled.");
            }

            share.TakeHook()?.Invoke();
            trackers.AddRange(share._trackers);
        }

        return new Acknowledgement(trackers.Count == 0 ? NoTrackers : trackers.ToArray());
    }

    /// <summary>Settles as delivered (or passed on). Returns false when already settled.</summary>
    public bool Deliver() => Settle(AcknowledgementOutcome.Delivered, 0, null, null);

    /// <summary>Settles as refused by a policy. Returns false when already settled.</summary>
    public bool Refuse(long items, string reason) => Settle(AcknowledgementOutcome.Refused, items, reason, null);

    /// <summary>Settles as failed. Returns false when already settled.</summary>
    public bool Fail(long items, Exception error) => Settle(AcknowledgementOutcome.Failed, items, null, error);

    private bool Settle(AcknowledgementOutcome outcome, long items, string? reason, Exception? error)
    {
        if (Interlocked.Exchange(ref _settled, 1) != 0)
        {
            return false;
        }

        TakeHook()?.Invoke();
        foreach (var tracker in _trackers)
        {
            tracker.Settle(outcome, items, reason, error);
        }

        return true;
    }

    /// <summary>
    /// Runs <paramref name="action"/> once when this share is settled or merged away: the batch that
    /// holds it is finished then (the engine gives back the pooled bytes of an encoded batch so).
    /// </summary>
    internal void WhenSettled(Action action)
    {
        if (IsSettled)
        {
            action();
            return;
        }

        var previous = Interlocked.Exchange(ref _whenSettled, action);
        if (previous is not null)
        {
            throw new InvalidOperationException("The share already has a settlement hook.");
        }

        // Settled while the hook was being set: run it unless the settler already took it.
        if (IsSettled)
        {
            TakeHook()?.Invoke();
        }
    }

    /// <summary>Moves this share's hook to <paramref name="other"/> (when a batch's share is replaced).</summary>
    internal void MoveHookTo(Acknowledgement other)
    {
        if (TakeHook() is { } hook)
        {
            other.WhenSettled(hook);
        }
    }

    private Action? TakeHook() => Interlocked.Exchange(ref _whenSettled, null);
}
