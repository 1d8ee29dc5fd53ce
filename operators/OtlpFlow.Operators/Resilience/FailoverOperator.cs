using System.Collections.Concurrent;
using System.Reactive.Subjects;
using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Operators.Resilience;

/// <summary>
/// Sends each batch to the first of its ordered targets whose breaker admits it, learns each
/// target's health from the acknowledgements of what it sent there, and sends a batch that a
/// target failed to the next one, so that nothing is lost while a target is down. When the
/// preferred target's breaker lets a probe through and it succeeds, traffic fails back.
/// </summary>
/// <remarks>
/// Every batch sent to a target is a new request of its own (same payload, new acknowledgement)
/// whose settlement tells this operator the outcome; the incoming batch's share is held until
/// some target delivered the data (or it was given up on), so a receiver in <c>delivered</c> mode
/// answers its client only then. The targets should be exporters, which settle a batch when the
/// peer accepted it or when they gave up on it.
/// </remarks>
[Operator("resilience.failover", Options = typeof(FailoverOptions),
    Description = "Sends to the first healthy of several ordered targets; re-sends what one failed to the next; fails back on recovery.",
    Example = """{ "targets": ["primary", "secondary"] }""")]
public sealed partial class FailoverOperator : ProcessorOperator
{
    private readonly FailoverOptions _options;
    private readonly string[] _targets;
    private readonly CircuitBreaker[] _breakers;
    private readonly RetryExecutor _retry;
    private readonly ConcurrentQueue<(FailoverJob Job, Exception? Error, bool Permanent)> _returned = new();
    private readonly List<FailoverJob> _waiting = [];
    private readonly ConcurrentDictionary<FailoverJob, byte> _jobs = new();
    private readonly Subject<TargetChange> _targetChanges = new();
    private TaskCompletionSource _changed = NewSignal();
    private int _preferred;

    /// <summary>Creates the operator; its breakers start closed.</summary>
    public FailoverOperator(FailoverOptions options, OperatorContext context)
        : base(context)
    {
        _options = OptionsCheck.Valid(options, nameof(options));
        _targets = [.. options.Targets];
        _breakers = _targets.Select(t => new CircuitBreaker(options.Breaker, $"{context.Id}.{t}", context.TimeProvider, context.Logger, context.Meter)).ToArray();
        _retry = new RetryExecutor(options.Retry, context.TimeProvider);
    }

    /// <inheritdoc />
    public override IReadOnlyList<string> OutputPorts => _targets;

    /// <summary>Each target's breaker, in the order of <see cref="FailoverOptions.Targets"/>: watch, isolate or reset them.</summary>
    public IReadOnlyList<CircuitBreaker> Breakers => _breakers;

    /// <summary>The port that new batches go to first.</summary>
    public string PreferredTarget => _targets[Volatile.Read(ref _preferred)];

    /// <summary>Fail-overs and fail-backs as they happen.</summary>
    public IObservable<TargetChange> TargetChanges => _targetChanges;

    /// <summary>Counts of sends, re-sends, deliveries and give-ups.</summary>
    public FailoverStatistics Statistics { get; } = new();

    /// <summary>Checks that every target is read by some operator.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var target in _targets)
        {
            if (!Context.IsLinked(target))
            {
                throw new InvalidOperationException(
                    $"operator '{Context.Id}': target '{target}' is not linked; give an exporter \"inputs\": [\"{Context.Id}.{target}\"]");
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Holds a share of the batch and sends it to the first target that admits it. With
    /// <c>maxInFlight</c> batches out, the call itself does the ticks' work (re-sends, give-ups)
    /// until one comes back, so backpressure reaches upstream.
    /// </summary>
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        while (_jobs.Count >= _options.MaxInFlight)
        {
            var changed = Volatile.Read(ref _changed).Task;
            var next = await ResendAsync(output, cancellationToken).ConfigureAwait(false);
            if (_jobs.Count < _options.MaxInFlight)
            {
                break;
            }

            await WaitAsync(changed, next, cancellationToken).ConfigureAwait(false);
        }

        // The failover answers the batch's clients itself, from its targets' outcomes: it keeps a
        // share of the batch's requests rather than the batch (the targets get copies).
        var job = new FailoverJob(batch.Payload, batch.Context, batch.ItemCount, batch.Ack.AddShare(), Context.TimeProvider.GetTimestamp());
        _jobs.TryAdd(job, 0);
        if (!await TrySendAsync(job, output, cancellationToken).ConfigureAwait(false))
        {
            _waiting.Add(job); // no target admits it now: a tick tries again after a backoff
            RequestTick(TimeSpan.Zero);
        }
    }

    /// <summary>Re-sends what came back from a target, or gives up on it when the retry budget is spent.</summary>
    public override async ValueTask TickAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        if (await ResendAsync(output, cancellationToken).ConfigureAwait(false) is { } due)
        {
            RequestTick(due);
        }
    }

    /// <summary>Waits until every batch taken in has been delivered or given up on, re-sending meanwhile.</summary>
    public override async ValueTask FlushAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        while (!_jobs.IsEmpty)
        {
            var changed = Volatile.Read(ref _changed).Task;
            var next = await ResendAsync(output, cancellationToken).ConfigureAwait(false);
            if (_jobs.IsEmpty)
            {
                break;
            }

            await WaitAsync(changed, next, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Fails whatever was not delivered.</summary>
    public override async ValueTask DisposeAsync()
    {
        foreach (var job in _jobs.Keys)
        {
            GiveUp(job, new OperationCanceledException("the failover stopped before any target accepted this batch"), output: null);
        }

        foreach (var breaker in _breakers)
        {
            breaker.Dispose();
        }

        _targetChanges.OnCompleted();
        _targetChanges.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private async Task WaitAsync(Task changed, TimeSpan? next, CancellationToken cancellationToken)
    {
        if (next is { } due)
        {
            // The backoff's timer goes when a settlement wakes the wait first.
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = FlowDelay.WaitAsync(due, Context.TimeProvider, timer.Token);
            await Task.WhenAny(changed, delay).ConfigureAwait(false);
            await timer.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
        else
        {
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Sends the job to the first target that admits it; false when none does.</summary>
    private async ValueTask<bool> TrySendAsync(FailoverJob job, IOperatorOutput output, CancellationToken cancellationToken)
    {
        var excluded = job.LastFailed;
        for (var i = 0; i < _targets.Length; i++)
        {
            if (i == excluded)
            {
                continue;
            }

            var permit = _breakers[i].Acquire();
            if (!permit.IsGranted)
            {
                continue;
            }

            if (!permit.IsProbe && job.LastFailed < 0)
            {
                NotePreferred(i);
            }

            var (ack, _) = Acknowledgement.Create(0, job.Callback(this, i, permit));
            var copy = TelemetryBatch.Create(job.Payload, job.Context, ack);
            Statistics.CountSent(job.Sends++ > 0);

            // Before the send: a target may settle the copy before the send returns. A send that
            // fails fails the copy (the engine settles what it could not hand over), which counts
            // as a failure of that target and brings the job back.
            job.Held = false;
            await output.EmitAsync(_targets[i], copy, cancellationToken).ConfigureAwait(false);
            return true;
        }

        return false;
    }

    private void OnSettled(FailoverJob job, int target, CircuitPermit permit, AcknowledgementResult result)
    {
        if (result.Succeeded)
        {
            _breakers[target].RecordSuccess(permit);
            if (result.RefusedItems > 0)
            {
                // The target refused part of it (a partial success): that part is reported upstream, not re-sent.
                job.Share.AddShare().Refuse(result.RefusedItems, result.RefusalReason ?? "refused by the target");
            }

            Statistics.CountDelivered(job.Items - result.RefusedItems);
            Finish(job, delivered: true);
            return;
        }

        var permanent = PermanentFailureException.IsPermanent(result.Error);
        if (permanent)
        {
            // The data is at fault, not the target: it is up, and any other target would refuse it too.
            _breakers[target].RecordSuccess(permit);
        }
        else
        {
            _breakers[target].RecordFailure(permit);
        }

        job.LastFailed = target;
        job.LastError = result.Error;
        if (!permanent)
        {
            LogTargetFailed(Context.Logger, Context.Id, job.Items, _targets[target], result.Error?.Message ?? "failed");
        }

        // Back with us: the next tick sends it again, or gives up on it (at once when permanent).
        _returned.Enqueue((job, result.Error, permanent));
        RequestTick(TimeSpan.Zero);
        Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();
    }

    /// <summary>
    /// Takes back what targets failed, re-sends every job whose time has come (another target
    /// first; when none admits it, every target again after a backoff that grows per round), and
    /// gives up on jobs past the retry budget. Returns how long until the next job is due, if any.
    /// </summary>
    private async ValueTask<TimeSpan?> ResendAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        var now = Context.TimeProvider.GetTimestamp();
        while (_returned.TryDequeue(out var back))
        {
            if (!back.Job.Held)
            {
                // Counted out when sent; back with us now, to be sent again or given up.
                output.CountReturned(back.Job.Items);
                back.Job.Held = true;
            }

            if (back.Permanent)
            {
                GiveUp(back.Job, back.Error!, output);
                continue;
            }

            back.Job.NextTry = now;
            _waiting.Add(back.Job);
        }

        // The jobs due now leave the waiting list in one pass; those that must wait again come back.
        TimeSpan? next = null;
        var due = new List<FailoverJob>();
        _waiting.RemoveAll(job =>
        {
            if (job.NextTry <= now)
            {
                due.Add(job);
                return true;
            }

            var wait = Context.TimeProvider.GetElapsedTime(now, job.NextTry);
            next = next is null || wait < next ? wait : next;
            return false;
        });

        foreach (var job in due)
        {
            if (await TrySendAsync(job, output, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            job.Rounds++;
            var decision = _retry.Decide(job.Rounds, Context.TimeProvider.GetElapsedTime(job.Started), AttemptOutcome.Retryable(), job.LastDelay);
            if (!decision.Retry)
            {
                GiveUp(job, job.LastError ?? new InvalidOperationException($"no target accepted the batch ({decision.Stop})"), output);
                continue;
            }

            job.LastDelay = decision.Delay;
            job.LastFailed = -1;
            job.NextTry = now + (long)(decision.Delay.TotalSeconds * Context.TimeProvider.TimestampFrequency);
            _waiting.Add(job);
            next = next is null || decision.Delay < next ? decision.Delay : next;
        }

        return next;
    }

    private void NotePreferred(int target)
    {
        var previous = Interlocked.Exchange(ref _preferred, target);
        if (previous == target)
        {
            return;
        }

        Statistics.CountSwitch();
        var change = new TargetChange(Context.Id, _targets[previous], _targets[target], target < previous, Context.TimeProvider.GetUtcNow());
        if (change.FailBack)
        {
            LogFailBack(Context.Logger, Context.Id, change.From, change.To);
        }
        else
        {
            LogFailOver(Context.Logger, Context.Id, change.From, change.To);
        }

        _targetChanges.OnNext(change);
    }

    private void GiveUp(FailoverJob job, Exception error, IOperatorOutput? output)
    {
        if (!_jobs.ContainsKey(job))
        {
            return;
        }

        Statistics.CountFailed(job.Items);
        if (job.Held)
        {
            // Not at any target: these items end here. (A job still at a target when the failover
            // stops was counted out; the target settles its copy.)
            output?.CountDropped(job.Items, "failed");
        }

        LogGaveUp(Context.Logger, Context.Id, job.Items, error.Message);
        job.Share.Fail(job.Items, error);
        Finish(job, delivered: false);
    }

    private void Finish(FailoverJob job, bool delivered)
    {
        if (!_jobs.TryRemove(job, out _))
        {
            return;
        }

        if (delivered)
        {
            job.Share.Deliver();
        }

        Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': target '{Target}' failed {Items} items, sending them to the next target: {Message}")]
    private static partial void LogTargetFailed(ILogger logger, string operatorId, int items, string target, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': failing over from '{From}' to '{To}'")]
    private static partial void LogFailOver(ILogger logger, string operatorId, string from, string to);

    [LoggerMessage(Level = LogLevel.Information, Message = "operator '{OperatorId}': failing back from '{From}' to '{To}'")]
    private static partial void LogFailBack(ILogger logger, string operatorId, string from, string to);

    [LoggerMessage(Level = LogLevel.Error, Message = "operator '{OperatorId}': gave up on {Items} items: {Message}")]
    private static partial void LogGaveUp(ILogger logger, string operatorId, int items, string message);

    /// <summary>One incoming batch on its way to some target.</summary>
    private sealed class FailoverJob(Google.Protobuf.IMessage payload, BatchContext context, int items, Acknowledgement share, long started)
    {
        public Google.Protobuf.IMessage Payload { get; } = payload;

        public BatchContext Context { get; } = context;

        public int Items { get; } = items;

        public Acknowledgement Share { get; } = share;

        public long Started { get; } = started;

        public int LastFailed { get; set; } = -1;

        /// <summary>With the failover rather than at a target: not yet sent, or sent and failed.</summary>
        public bool Held { get; set; } = true;

        public Exception? LastError { get; set; }

        public int Sends { get; set; }

        public int Rounds { get; set; }

        public TimeSpan LastDelay { get; set; }

        /// <summary>When the job may be sent again (a timestamp of the operator's clock).</summary>
        public long NextTry { get; set; }

        public Action<AcknowledgementTracker, AcknowledgementResult> Callback(FailoverOperator owner, int target, CircuitPermit permit) =>
            (_, result) => owner.OnSettled(this, target, permit, result);
    }
}
