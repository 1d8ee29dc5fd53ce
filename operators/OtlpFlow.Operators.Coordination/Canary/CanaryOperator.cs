using System.Reactive.Subjects;
using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Coordination.Canary;

/// <summary>
/// <c>routing.canary</c>: sends a fraction of the batches to the <c>candidate</c> port (a candidate
/// pipeline version) and the rest to <c>stable</c>, follows every batch's acknowledgement to learn
/// what each branch dropped or failed, and at the end of a window promotes the candidate (all
/// traffic to it) or rolls it back (all traffic to stable), logging the decision with its figures.
/// </summary>
/// <remarks>
/// The split is deterministic (a running credit, not a coin), so exactly <c>fraction</c> of the
/// batches go to the candidate and tests need no randomness.
/// </remarks>
[Operator("routing.canary", Options = typeof(CanaryOptions),
    Description = "Sends a fraction of traffic to a candidate branch, compares drop and error rates with stable, promotes or rolls back.",
    Example = """{ "fraction": 0.1, "window": "5m" }""")]
public sealed partial class CanaryOperator : ProcessorOperator
{
    /// <summary>The port of the stable version.</summary>
    public const string StablePort = "stable";

    /// <summary>The port of the candidate version.</summary>
    public const string CandidatePort = "candidate";

    private static readonly IReadOnlyList<string> Ports = [StablePort, CandidatePort];

    private readonly CanaryOptions _options;
    private readonly Lock _lock = new();
    private readonly BehaviorSubject<CanaryVerdict?> _verdicts = new(null);
    private readonly Tally _stable = new();
    private readonly Tally _candidate = new();
    private double _credit;
    private int _state = (int)CanaryState.Running;
    private ITimer? _timer;
    private CanaryVerdict? _verdict;
    private long _routedStable;
    private long _routedCandidate;

    /// <summary>Creates the operator.</summary>
    public CanaryOperator(CanaryOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <inheritdoc />
    public override IReadOnlyList<string> OutputPorts => Ports;

    /// <summary>Where the canary stands.</summary>
    public CanaryState State => (CanaryState)Volatile.Read(ref _state);

    /// <summary>The decision once made (null while running), as a stream.</summary>
    public IObservable<CanaryVerdict?> Verdicts => _verdicts;

    /// <summary>The decision once made; null while running.</summary>
    public CanaryVerdict? Verdict => Volatile.Read(ref _verdict);

    /// <summary>Items sent to the <c>stable</c> port so far.</summary>
    public long RoutedToStable => Interlocked.Read(ref _routedStable);

    /// <summary>Items sent to the <c>candidate</c> port so far.</summary>
    public long RoutedToCandidate => Interlocked.Read(ref _routedCandidate);

    /// <summary>Starts the comparison windows.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = Context.TimeProvider.CreateTimer(_ => Evaluate(), null, _options.Window, _options.Window);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        var toCandidate = State switch
        {
            CanaryState.Promoted => true,
            CanaryState.RolledBack => false,
            _ => TakeCredit(),
        };

        Interlocked.Add(ref toCandidate ? ref _routedCandidate : ref _routedStable, batch.ItemCount);
        if (State != CanaryState.Running)
        {
            await output.EmitAsync(toCandidate ? CandidatePort : StablePort, batch, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Follow the batch: its outcome counts what the branch did with the items.
        var tally = toCandidate ? _candidate : _stable;
        var items = batch.ItemCount;
        var followed = batch.Observed(result => tally.Add(items, result));
        await output.EmitAsync(toCandidate ? CandidatePort : StablePort, followed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends the window now: decides when the candidate settled enough items, else keeps running
    /// (the counts carry over to the next window). Called by the window timer; public for hosts
    /// that decide on their own schedule.
    /// </summary>
    public CanaryVerdict? Evaluate()
    {
        lock (_lock)
        {
            if (State != CanaryState.Running)
            {
                return Verdict;
            }

            var candidate = _candidate.Figures;
            var stable = _stable.Figures;
            if (candidate.Items < _options.MinItems)
            {
                LogExtended(Context.Logger, Context.Id, candidate.Items, _options.MinItems);
                return null;
            }

            var promote = candidate.LossRate <= stable.LossRate + _options.Tolerance;
            var verdict = new CanaryVerdict(promote ? CanaryState.Promoted : CanaryState.RolledBack, stable, candidate, _options.Tolerance);
            Volatile.Write(ref _verdict, verdict);
            Volatile.Write(ref _state, (int)verdict.State);
            LogVerdict(Context.Logger, Context.Id, verdict.ToString());
            _verdicts.OnNext(verdict);
            return verdict;
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        _verdicts.OnCompleted();
        _verdicts.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private bool TakeCredit()
    {
        lock (_lock)
        {
            _credit += _options.Fraction;
            if (_credit >= 1)
            {
                _credit -= 1;
                return true;
            }

            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': canary {Verdict}")]
    private static partial void LogVerdict(ILogger logger, string operatorId, string verdict);

    [LoggerMessage(Level = LogLevel.Information, Message = "operator '{OperatorId}': canary window extended: the candidate settled {Items} items of the {MinItems} needed")]
    private static partial void LogExtended(ILogger logger, string operatorId, long items, long minItems);

    /// <summary>Counts settled items of one branch; written from acknowledgement callbacks on any thread.</summary>
    private sealed class Tally
    {
        private long _items;
        private long _dropped;
        private long _failed;

        public BranchFigures Figures => new(Interlocked.Read(ref _items), Interlocked.Read(ref _dropped), Interlocked.Read(ref _failed));

        public void Add(long items, AcknowledgementResult result)
        {
            Interlocked.Add(ref _dropped, Math.Min(items, result.RefusedItems));
            Interlocked.Add(ref _failed, result.FailedItems > 0 || result.Error is not null ? Math.Max(1, Math.Min(items, result.FailedItems)) : 0);
            Interlocked.Add(ref _items, items);
        }
    }
}
