using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Routing;

/// <summary>
/// Partitions items by a key over members, each member an output port: with the default key
/// <c>traceId</c> every span of a trace goes to the same member, whichever batch it comes in.
/// Uses rendezvous hashing (see the Routing README for why), so when the membership changes at
/// runtime only the keys of the member that left, or that the new member wins, move: about 1/N.
/// </summary>
[Operator("partition.consistentHash", Options = typeof(ConsistentHashOptions),
    Description = "Partitions items by trace id, service or an attribute over member ports (rendezvous hashing, optional bounded load).",
    Example = """{ "key": "traceId", "members": ["a", "b", "c"] }""")]
public sealed partial class ConsistentHashOperator : ProcessorOperator
{
    private readonly ConsistentHashOptions _options;
    private readonly string[] _ports;
    private readonly Dictionary<string, int> _portIndex;
    private readonly MembershipSet _own;
    private readonly TargetSet _targets;
    private IMembershipSource _membership;
    private IDisposable? _subscription;
    private View _view;

    /// <summary>Creates the partitioner with every member present.</summary>
    public ConsistentHashOperator(ConsistentHashOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _ports = [.. options.Members];
        _portIndex = _ports.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i, StringComparer.Ordinal);
        _own = new MembershipSet(_ports);
        _membership = _own;
        _targets = new TargetSet(_ports, context.TimeProvider, ejection: null, TimeSpan.FromSeconds(10));
        _view = MakeView(_ports);
    }

    /// <summary>The members, each a port.</summary>
    public override IReadOnlyList<string> OutputPorts => _ports;

    /// <summary>
    /// The membership followed: the named source of the <c>membership</c> option once started, else
    /// the operator's own <see cref="MembershipSet"/>, which a host may change.
    /// </summary>
    public IMembershipSource Membership => _membership;

    /// <summary>The members items are partitioned over now.</summary>
    public IReadOnlyList<string> CurrentMembers => Volatile.Read(ref _view).Hash.Members;

    /// <summary>Follows the membership source.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Membership is { } name)
        {
            _membership = MembershipSources.Resolve(Context.Services, name, Context.Id);
        }

        _subscription = _membership.Subscribe(new MembershipObserver(this));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        var view = Volatile.Read(ref _view);
        var count = BatchSplit.CountItems(batch.Payload);
        var bounded = _options.BoundedLoad > 0;
        PartitionDecider decider = bounded
            ? new PartitionDecider(_options.Key, view.Hash, view.PortOf.Select(p => _targets.Targets[p].InFlightItems).ToArray(), count, _options.BoundedLoad)
            : new PartitionDecider(_options.Key, view.Hash);
        var decisions = new int[count];
        BatchSplit.Decide(batch.Payload, decider, decisions);
        var counts = new int[view.PortOf.Length];
        foreach (var d in decisions)
        {
            counts[d]++;
        }

        var passedOn = false;
        for (var m = 0; m < counts.Length; m++)
        {
            if (counts[m] == 0)
            {
                continue;
            }

            var port = view.PortOf[m];
            var payload = counts[m] == count ? batch.Payload : BatchSplit.Select(batch.Payload, decisions, m);
            if (bounded)
            {
                await _targets.EmitAsync(output, port, batch, payload, cancellationToken).ConfigureAwait(false);
            }
            else if (counts[m] == count && !passedOn)
            {
                passedOn = true;
                await output.EmitAsync(_ports[port], batch, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await output.EmitAsync(_ports[port], batch.Derive(payload), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        _subscription?.Dispose();
        _own.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private View MakeView(IReadOnlyList<string> members)
    {
        var known = members.Where(_portIndex.ContainsKey).ToArray();
        if (known.Length == 0)
        {
            // With nobody present there is no right owner; keeping every declared member loses nothing.
            known = _ports;
        }

        return new View(new RendezvousHash(known), known.Select(m => _portIndex[m]).ToArray());
    }

    private void OnMembers(IReadOnlyList<string> members)
    {
        foreach (var unknown in members.Where(m => !_portIndex.ContainsKey(m)))
        {
            LogUnknownMember(Context.Logger, Context.Id, unknown);
        }

        Volatile.Write(ref _view, MakeView(members));
        LogMembers(Context.Logger, Context.Id, string.Join(", ", Volatile.Read(ref _view).Hash.Members));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': member '{Member}' is not one of the declared members (ports) and is ignored")]
    private static partial void LogUnknownMember(ILogger logger, string operatorId, string member);

    [LoggerMessage(Level = LogLevel.Information, Message = "operator '{OperatorId}': partitioning over {Members}")]
    private static partial void LogMembers(ILogger logger, string operatorId, string members);

    /// <summary>The members now: the hash over them and, for each, its port index.</summary>
    private sealed record View(RendezvousHash Hash, int[] PortOf);

    private sealed class MembershipObserver(ConsistentHashOperator owner) : IObserver<IReadOnlyList<string>>
    {
        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void OnNext(IReadOnlyList<string> value) => owner.OnMembers(value);
    }
}
