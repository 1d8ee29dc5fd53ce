using System.Collections.Concurrent;
using System.Reactive.Subjects;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

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
    private readonly SemaphoreSlim _inFlight;
    private readonly Channel<FailoverJob> _resends = Channel.CreateUnbounded<FailoverJob>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<FailoverJob, byte> _jobs = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Subject<TargetChange> _targetChanges = new();
    private Task _resendLoop = Task.CompletedTask;
    private int _preferred;
    private int _flushing;

    /// <summary>Creates the operator; its breakers start closed.</summary>
    public FailoverOperator(FailoverOptions options, OperatorContext context)
        : base(context)
    {
        _options = OptionsCheck.Valid(options, nameof(options));
        _targets = [.. options.Targets];
        _breakers = _targets.Select(t => new CircuitBreaker(options.Breaker, $"{context.Id}.{t}", context.TimeProvider, context.Logger, context.Meter)).ToArray();
        _retry = new RetryExecutor(options.Retry, context.TimeProvider);
        _inFlight = new SemaphoreSlim(options.MaxInFlight, options.MaxInFlight);
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

    /// <summary>Checks that every target is read by some operator and starts the re-send loop.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var target in _targets)
        {
            if (!Output.IsLinked(target))
            {
                throw new InvalidOperationException(
                    $"operator '{Context.Id}': target '{target}' is not linked; give an exporter \"inputs\": [\"{Context.Id}.{target}\"]");
            }
        }

        _resendLoop = Task.Run(ResendLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Holds a share of the batch and sends it to the first target that admits it (waiting for in-flight room first).</summary>
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
        var job = new FailoverJob(batch.Payload, batch.Context, batch.ItemCount, batch.Ack.AddShare(), Context.TimeProvider.GetTimestamp());
        _jobs.TryAdd(job, 0);
        if (!await TrySendAsync(job, cancellationToken).ConfigureAwait(false))
        {
            _resends.Writer.TryWrite(job); // no target admits it now: the loop waits and tries again
        }
    }

    /// <summary>Waits until every batch taken in has been delivered or given up on.</summary>
    public override async ValueTask FlushAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _flushing, 1);
        if (_jobs.IsEmpty)
        {
            _drained.TrySetResult();
        }

        await _drained.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the re-send loop and fails whatever was not delivered.</summary>
    public override async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _resends.Writer.TryComplete();
        await _resendLoop.ConfigureAwait(false);
        foreach (var job in _jobs.Keys)
        {
            GiveUp(job, new OperationCanceledException("the failover stopped before any target accepted this batch"));
        }

        foreach (var breaker in _breakers)
        {
            breaker.Dispose();
        }

        _targetChanges.OnCompleted();
        _targetChanges.Dispose();
        _inFlight.Dispose();
        _stopping.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Sends the job to the first target that admits it; false when none does.</summary>
    private async ValueTask<bool> TrySendAsync(FailoverJob job, CancellationToken cancellationToken)
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

            // Before the send: a target may settle the copy before the send returns.
            job.Held = false;
            try
            {
                await Output.EmitAsync(_targets[i], copy, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Never handed over: settle the copy ourselves, which counts as a failure of that target.
                ack.Fail(job.Items, ex);
            }

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

        _breakers[target].RecordFailure(permit);
        if (!job.Held)
        {
            // Counted out when sent; back with us now, to be sent again or given up.
            Output.CountReturned(job.Items);
            job.Held = true;
        }

        job.LastFailed = target;
        job.LastError = result.Error;
        LogTargetFailed(Context.Logger, Context.Id, job.Items, _targets[target], result.Error?.Message ?? "failed");
        if (!_resends.Writer.TryWrite(job))
        {
            GiveUp(job, result.Error ?? new InvalidOperationException("the failover stopped"));
        }
    }

    private async Task ResendLoopAsync()
    {
        var token = _stopping.Token;
        try
        {
            await foreach (var job in _resends.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                // Another target first; when none admits the job, wait (backoff, growing per round)
                // and then try every target again, the one that just failed it included.
                while (!await TrySendAsync(job, token).ConfigureAwait(false))
                {
                    job.Rounds++;
                    var decision = _retry.Decide(job.Rounds, Context.TimeProvider.GetElapsedTime(job.Started), AttemptOutcome.Retryable(), job.LastDelay);
                    if (!decision.Retry)
                    {
                        GiveUp(job, job.LastError ?? new InvalidOperationException($"no target accepted the batch ({decision.Stop})"));
                        break;
                    }

                    job.LastDelay = decision.Delay;
                    job.LastFailed = -1;
                    await Task.Delay(decision.Delay, Context.TimeProvider, token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopping: DisposeAsync fails what is left.
        }
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

    private void GiveUp(FailoverJob job, Exception error)
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
            Output.CountDropped(job.Items, "failed");
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

        _inFlight.Release();
        if (_jobs.IsEmpty && Volatile.Read(ref _flushing) == 1)
        {
            _drained.TrySetResult();
        }
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

        public Action<AcknowledgementTracker, AcknowledgementResult> Callback(FailoverOperator owner, int target, CircuitPermit permit) =>
            (_, result) => owner.OnSettled(this, target, permit, result);
    }
}
