using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Otlp.Exporter;
using OtlpFlow.Operators.Resilience;
using OtlpFlow.Operators.Routing;

namespace OtlpFlow.Operators.Otlp.LoadBalancing;

/// <summary>
/// Partitions data by trace id (or service, or any partition key) over member endpoints and
/// sends each member its share over OTLP, through one sender and one bounded queue per member.
/// The owner of a key is chosen by rendezvous hashing over the members that are present and
/// healthy, so a membership change moves about 1/N of the keys. When a member leaves (removed
/// from the membership, failing its health checks, or ejected for failing sends), what is still
/// queued for it, and a batch whose send to it failed, is partitioned again and goes to the new
/// owners instead of being lost.
/// </summary>
/// <remarks>
/// Each queued batch holds its share of its acknowledgement until a member accepts it, so a
/// receiver in <c>delivered</c> mode answers its client only once the data reached a member.
/// With <c>"balance": "leastLoaded"</c> batches are not split by key: each goes whole to the
/// member whose published load (an <see cref="IMemberLoadSource"/>) is lowest.
/// </remarks>
[Operator("loadbalancing", Options = typeof(LoadBalancingOptions),
    Description = "Partitions by trace id or service over OTLP member endpoints; re-routes a leaving member's queue; health checks and ejection.",
    Example = """{ "key": "traceId", "endpoints": ["http://10.0.0.11:4317", "http://10.0.0.12:4317"] }""")]
public sealed partial class LoadBalancingOperator : SinkOperator
{
    private readonly LoadBalancingOptions _options;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LoadBalancingMember> _active = new(StringComparer.Ordinal);
    private readonly List<LoadBalancingMember> _closed = [];
    private readonly ConcurrentDictionary<string, EndpointHealth> _health = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _sentItems = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly MembershipSet _own;
    private readonly RetryExecutor _retry;
    private IMembershipSource _membership;
    private IMemberLoadSource? _load;
    private long _rotation;
    private IDisposable? _subscription;
    private EndpointHealthChecker? _checker;
    private ITimer? _timer;
    private View _view = new(null, []);
    private IReadOnlyList<string> _present = [];
    private long _pending;
    private long _rerouted;
    private int _ticking;
    private volatile bool _flushing;

    /// <summary>Creates the operator; members are connected when it starts.</summary>
    public LoadBalancingOperator(LoadBalancingOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _own = new MembershipSet(options.Endpoints);
        _retry = new RetryExecutor(options.Retry, context.TimeProvider);
        _membership = _own;
    }

    /// <summary>
    /// The membership followed: the named source of the <c>membership</c> option once started, else
    /// the operator's own <see cref="MembershipSet"/> of <c>endpoints</c>, which a host may change.
    /// </summary>
    public IMembershipSource Membership => _membership;

    /// <summary>The endpoints that own keys now.</summary>
    public IReadOnlyList<string> ActiveMembers => Volatile.Read(ref _view).Hash?.Members ?? [];

    /// <summary>Items each endpoint accepted.</summary>
    public IReadOnlyDictionary<string, long> SentItems => _sentItems;

    /// <summary>Batches waiting in each owner's sending queue now.</summary>
    public IReadOnlyDictionary<string, int> QueuedBatches
    {
        get
        {
            lock (_lock)
            {
                return _active.ToDictionary(m => m.Key, m => m.Value.Queue.Count, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>The source of the members' load with <c>"balance": "leastLoaded"</c> once started; null otherwise.</summary>
    public IMemberLoadSource? LoadSource => _load;

    /// <summary>Batches partitioned again because their member left or failed.</summary>
    public long ReroutedBatches => Interlocked.Read(ref _rerouted);

    /// <summary>Follows the membership and starts the health checks.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Membership is { } name)
        {
            _membership = MembershipSources.Resolve(Context.Services, name, Context.Id);
        }

        if (_options.Balance == BalanceMode.LeastLoaded)
        {
            _load = ResolveLoad(_options.Load ?? _options.Membership!);
        }

        if (_options.HealthCheck.Type != HealthCheckType.None)
        {
            _checker = new EndpointHealthChecker(_options.HealthCheck);
        }

        _subscription = _membership.Subscribe(new MembershipObserver(this));
        var period = _options.HealthCheck.Type != HealthCheckType.None ? _options.HealthCheck.Interval : TimeSpan.FromSeconds(1);
        _timer = Context.TimeProvider.CreateTimer(_ => _ = TickAsync(), null, period, period);
        return Task.CompletedTask;
    }

    /// <summary>Partitions the batch and queues each part for its owner, waiting for room.</summary>
    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return RouteAsync(batch, settleSource: false, cancellationToken);
    }

    /// <summary>Waits until every queued batch was sent or given up, then stops the members.</summary>
    public override async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        _flushing = true;
        if (Interlocked.Read(ref _pending) == 0)
        {
            _drained.TrySetResult();
        }

        using var cut = cancellationToken.Register(_stopping.Cancel);
        await _drained.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        LoadBalancingMember[] members;
        lock (_lock)
        {
            members = [.. _active.Values, .. _closed];
        }

        foreach (var member in members)
        {
            member.Complete();
        }

        await Task.WhenAll(members.Select(m => m.Consumers)).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the checks and members; batches still queued fail.</summary>
    public override async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _subscription?.Dispose();
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        LoadBalancingMember[] members;
        lock (_lock)
        {
            members = [.. _active.Values, .. _closed];
            _active.Clear();
            _closed.Clear();
        }

        foreach (var member in members)
        {
            member.Close();
        }

        await Task.WhenAll(members.Select(m => m.Consumers)).ConfigureAwait(false);
        foreach (var member in members)
        {
            await member.DisposeAsync().ConfigureAwait(false);
        }

        if (_checker is not null)
        {
            await _checker.DisposeAsync().ConfigureAwait(false);
        }

        _own.Dispose();
        _stopping.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Splits <paramref name="batch"/> by owner under the current members and queues each part.
    /// A part whose owner closed before taking it is routed again under the newer members.
    /// </summary>
    private async ValueTask RouteAsync(TelemetryBatch batch, bool settleSource, CancellationToken cancellationToken)
    {
        var view = Volatile.Read(ref _view);
        if (view.Hash is null)
        {
            throw new InvalidOperationException($"operator '{Context.Id}': there is no member to send to; list 'endpoints' or give the membership source members");
        }

        var count = batch.ItemCount;
        var counts = new int[view.Members.Length];
        int[] decisions;
        if (_load is { } load)
        {
            // Least loaded: the whole batch to one member, so no decision per item is needed.
            decisions = [];
            counts[LeastLoaded(view.Members, load)] = count;
        }
        else
        {
            decisions = new int[count];
            BatchSplit.Decide(batch.Payload, new PartitionDecider(_options.Key, view.Hash), decisions);
            foreach (var d in decisions)
            {
                counts[d]++;
            }
        }

        for (var m = 0; m < counts.Length; m++)
        {
            if (counts[m] == 0)
            {
                continue;
            }

            // An exporter's job is acknowledgement: each member's part holds a share of the batch's
            // requests and is settled from that member's answer.
            var part = counts[m] == count ? batch.WithAcknowledgement(batch.Ack.AddShare()) : Encoded(batch, BatchSplit.Select(batch.Payload, decisions, m), counts[m]);
            Interlocked.Increment(ref _pending);
            bool queued;
            try
            {
                queued = await view.Members[m].TryEnqueueAsync(part, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                part.Ack.Fail(part.ItemCount, ex);
                Done();
                throw;
            }

            if (queued)
            {
                continue;
            }

            try
            {
                if (ReferenceEquals(Volatile.Read(ref _view), view))
                {
                    // Not closed by a membership change but completed by a drain or stop: nowhere left to send.
                    part.Ack.Fail(part.ItemCount, new InvalidOperationException($"operator '{Context.Id}' is stopping and no longer takes data"));
                }
                else
                {
                    // The owner left between the decision and the queueing: decide again under the new members.
                    try
                    {
                        await RouteAsync(part, settleSource: true, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        part.Ack.Fail(part.ItemCount, ex);
                        throw;
                    }
                }
            }
            finally
            {
                // After the new parts are counted, so that a drain never sees zero in between.
                Done();
            }
        }

        if (settleSource)
        {
            batch.Ack.Deliver();
        }
    }

    /// <summary>
    /// A member's part of <paramref name="batch"/>, encoded at once into pooled segments: it waits in
    /// the member's queue as bytes (not as objects the collector copies) and is sent as they are.
    /// </summary>
    private static TelemetryBatch Encoded(TelemetryBatch batch, Google.Protobuf.IMessage part, int items)
    {
        var writer = new SegmentedBytes(pooled: true);
        Google.Protobuf.MessageExtensions.WriteTo(part, writer);
        return TelemetryBatch.FromSegments(batch.Signal, writer, items, batch.Context, batch.Ack.AddShare());
    }

    /// <summary>
    /// The index of the member to send a whole batch to: among the members with a fresh load
    /// report, those within <c>loadTolerance</c> of the lowest score; among them the one with the
    /// fewest batches queued here, and on a tie the next in turn. Members without a report are
    /// chosen only when no member has one (then all are candidates), so a member that stopped
    /// reporting, or has not reported yet, takes no traffic away from ones known to be idle.
    /// </summary>
    private int LeastLoaded(LoadBalancingMember[] members, IMemberLoadSource load)
    {
        Span<double> scores = members.Length <= 64 ? stackalloc double[members.Length] : new double[members.Length];
        var lowest = double.PositiveInfinity;
        for (var i = 0; i < members.Length; i++)
        {
            scores[i] = load.TryGetLoad(members[i].Endpoint, out var score) && double.IsFinite(score) ? Math.Clamp(score, 0, 1) : double.PositiveInfinity;
            lowest = Math.Min(lowest, scores[i]);
        }

        // With no report at all, lowest and limit are infinite and every member is a candidate.
        var limit = lowest + _options.LoadTolerance;
        var start = (int)((ulong)Interlocked.Increment(ref _rotation) % (ulong)members.Length);
        var best = -1;
        var fewest = int.MaxValue;
        for (var k = 0; k < members.Length; k++)
        {
            var i = (start + k) % members.Length;
            if (scores[i] > limit)
            {
                continue;
            }

            var queued = members[i].Queue.Count;
            if (queued < fewest)
            {
                (best, fewest) = (i, queued);
            }
        }

        return best;
    }

    private IMemberLoadSource ResolveLoad(string name)
    {
        var found = Context.Services is Microsoft.Extensions.DependencyInjection.IKeyedServiceProvider keyed
            ? keyed.GetKeyedService(typeof(IMemberLoadSource), name) as IMemberLoadSource
            : null;
        return found ?? throw new InvalidOperationException(
            $"operator '{Context.Id}': 'balance': 'leastLoaded' reads the members' load from a source named '{name}', and none is registered; " +
            $"a pipeline whose 'coordination' section has 'etcd' registers \"etcd\", or register one with services.AddKeyedSingleton<IMemberLoadSource>(\"{name}\", ...)");
    }

    private async Task ConsumeAsync(LoadBalancingMember member)
    {
        // Not cancellable: the queue is always read to the end, so that every batch is settled.
        await foreach (var first in member.Queue.ReadAllAsync().ConfigureAwait(false))
        {
            var taken = new List<TelemetryBatch> { first };
            if (!_stopping.IsCancellationRequested && !member.IsClosed)
            {
                TakeMore(member, taken);
            }

            try
            {
                IEnumerable<TelemetryBatch> requests;
                try
                {
                    requests = Joined(taken);
                }
                catch (Exception ex)
                {
                    // Nothing was merged or sent: each part fails on its own (the consumer goes on).
                    foreach (var part in taken)
                    {
                        part.Ack.Fail(part.ItemCount, ex);
                    }

                    continue;
                }

                foreach (var batch in requests)
                {
                    await ConsumeAsync(member, batch).ConfigureAwait(false);
                }
            }
            finally
            {
                foreach (var _ in taken)
                {
                    Done();
                }
            }
        }
    }

    private async Task ConsumeAsync(LoadBalancingMember member, TelemetryBatch batch)
    {
        try
        {
            if (_stopping.IsCancellationRequested)
            {
                batch.Ack.Fail(batch.ItemCount, new OperationCanceledException($"operator '{Context.Id}' stopped before sending this batch"));
            }
            else if (member.IsClosed)
            {
                await RerouteAsync(batch).ConfigureAwait(false);
            }
            else
            {
                await SendAsync(member, batch).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            batch.Ack.Fail(batch.ItemCount, ex);
        }
    }

    /// <summary>
    /// Adds to <paramref name="taken"/> the parts queued behind its first, up to about
    /// <c>maxRequestSize</c> in all: sent as one request, a member that answers slowly (after a
    /// decision) carries more per request instead of leaving parts queued. Only parts the tier
    /// received at about the same time as the first go with it (<see cref="JoinableAgeSpread"/>):
    /// a request carries one age (<c>otlpflow-age-ms</c>), from which the member's tail sampler
    /// counts its decision wait, and is answered once all of its traces are decided. A part sent
    /// on from a member that failed or left, seconds old, would otherwise wait a whole decision
    /// again behind the new parts it was joined to.
    /// </summary>
    private void TakeMore(LoadBalancingMember member, List<TelemetryBatch> taken)
    {
        var limit = _options.MaxRequestSize.Bytes;
        var bytes = taken[0].SizeBytes;
        while (bytes < limit && member.Queue.TryPeek(out var next) && bytes + next.SizeBytes <= limit
            && SameAge(next, taken[0]) && member.Queue.TryRead(out var read))
        {
            // Another consumer may have taken the peeked one: what was read is sent all the same
            // (in a request of its own when it is not of about the same age).
            taken.Add(read);
            bytes += read.SizeBytes;
        }
    }

    /// <summary>How far apart the tier's first receipt of two parts may be for them to go out as one request.</summary>
    internal static readonly TimeSpan JoinableAgeSpread = TimeSpan.FromMilliseconds(250);

    /// <summary>True when the tier first received the two within <see cref="JoinableAgeSpread"/> of each other.</summary>
    private static bool SameAge(TelemetryBatch a, TelemetryBatch b) => (Origin(a) - Origin(b)).Duration() <= JoinableAgeSpread;

    /// <summary>When the tier first received a batch: here, less the age it came with from another instance.</summary>
    private static DateTimeOffset Origin(TelemetryBatch batch) =>
        batch.Context.ReceivedAt - (batch.Context.Get<Sampling.ArrivedEarlier>()?.Age ?? TimeSpan.Zero);

    /// <summary>
    /// The requests to send for <paramref name="taken"/>: one per signal and age, the parts' encodings
    /// concatenated (concatenated export requests are one request holding all their resources) and
    /// their shares merged.
    /// </summary>
    private static IEnumerable<TelemetryBatch> Joined(List<TelemetryBatch> taken)
    {
        if (taken.Count == 1)
        {
            return taken;
        }

        var groups = new List<List<TelemetryBatch>>();
        foreach (var part in taken)
        {
            var group = groups.Find(g => g[0].Signal == part.Signal && SameAge(part, g[0]));
            if (group is null)
            {
                groups.Add([part]);
            }
            else
            {
                group.Add(part);
            }
        }

        return groups.Select(group =>
        {
            var parts = group.Select(AsEncoded).ToList();
            return parts.Count == 1 ? parts[0] : TelemetryBatch.Concatenate(parts, parts[0].Context)!;
        }).ToList();
    }

    /// <summary>The batch as its encoding (a whole input batch that was decoded is encoded here, keeping its share).</summary>
    private static TelemetryBatch AsEncoded(TelemetryBatch batch)
    {
        if (batch.TryGetEncoded(out _))
        {
            return batch;
        }

        // The copy takes a share of its own and the decoded batch's share is let go (its data may be
        // pooled bytes of the input, released with that share).
        var writer = new SegmentedBytes(pooled: true);
        Google.Protobuf.MessageExtensions.WriteTo(batch.Payload, writer);
        var encoded = TelemetryBatch.FromSegments(batch.Signal, writer, batch.ItemCount, batch.Context, batch.Ack.AddShare());
        batch.Ack.Deliver();
        return encoded;
    }

    private async Task RerouteAsync(TelemetryBatch batch)
    {
        Interlocked.Increment(ref _rerouted);
        try
        {
            await RouteAsync(batch, settleSource: true, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            batch.Ack.Fail(batch.ItemCount, ex);
        }
    }

    /// <summary>
    /// Sends with retries until success, a permanent failure, a limit of <c>retry</c> (the shared
    /// <see cref="RetryExecutor"/>: backoff with jitter, the peer's RetryInfo / Retry-After,
    /// maxAttempts, maxElapsed), or the member leaving (then re-routes).
    /// </summary>
    private async Task SendAsync(LoadBalancingMember member, TelemetryBatch batch)
    {
        var time = Context.TimeProvider;
        var started = time.GetTimestamp();
        var previousWait = TimeSpan.Zero;
        for (var attempt = 1; ; attempt++)
        {
            OtlpSendResult result;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
            {
                timeout.CancelAfter(_options.Timeout);
                try
                {
                    result = await member.Sender.SendAsync(batch, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
                {
                    result = OtlpSendResult.Failure(true, $"no answer within the timeout of {_options.Timeout.TotalSeconds:0.###}s");
                }
            }

            RecordSend(member.Endpoint, result.Succeeded);
            if (result.Succeeded)
            {
                _sentItems.AddOrUpdate(member.Endpoint, batch.ItemCount, (_, n) => n + batch.ItemCount);
                if (result.Rejected > 0)
                {
                    batch.Ack.AddShare().Refuse(result.Rejected, result.Message ?? "rejected by the peer");
                }

                batch.Ack.Deliver();
                return;
            }

            var outcome = result.Retryable ? AttemptOutcome.Retryable(result.RetryAfter) : AttemptOutcome.Permanent;
            var decision = _retry.Decide(attempt, time.GetElapsedTime(started), outcome, previousWait);
            if (decision.Stop is RetryStop.NotRetryable or RetryStop.Disabled)
            {
                LogFailed(Context.Logger, Context.Id, member.Endpoint, batch.ItemCount, result.Message ?? string.Empty);
                batch.Ack.Fail(batch.ItemCount, new OtlpExportException($"operator '{Context.Id}': {member.Endpoint} refused {batch.ItemCount} items: {result.Message}", result.Retryable));
                return;
            }

            if (member.IsClosed)
            {
                await RerouteAsync(batch).ConfigureAwait(false);
                return;
            }

            if (!decision.Retry)
            {
                LogFailed(Context.Logger, Context.Id, member.Endpoint, batch.ItemCount, $"gave up after {attempt} attempts ({decision.Stop}): {result.Message}");
                batch.Ack.Fail(batch.ItemCount, new OtlpExportException($"operator '{Context.Id}': gave up on {batch.ItemCount} items for {member.Endpoint} after {attempt} attempts: {result.Message}", isRetryable: true));
                return;
            }

            previousWait = decision.Delay;
            using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(member.Closing, _stopping.Token))
            {
                try
                {
                    await Task.Delay(decision.Delay, time, waiting.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (member.IsClosed && !_stopping.IsCancellationRequested)
                {
                    // The member left while this batch waited for a retry: its new owner takes it.
                    await RerouteAsync(batch).ConfigureAwait(false);
                    return;
                }
            }
        }
    }

    private void RecordSend(string endpoint, bool succeeded)
    {
        var ejection = _options.Ejection;
        var now = Context.TimeProvider.GetTimestamp();
        var until = now + (long)(ejection.EjectFor.TotalSeconds * Context.TimeProvider.TimestampFrequency);
        if (Health(endpoint).RecordSend(succeeded, ejection.ConsecutiveFailures, now, until))
        {
            LogEjected(Context.Logger, Context.Id, endpoint, ejection.ConsecutiveFailures, ejection.EjectFor.TotalSeconds);
            Rebuild();
        }
    }

    private void Done()
    {
        if (Interlocked.Decrement(ref _pending) == 0 && _flushing)
        {
            _drained.TrySetResult();
        }
    }

    private EndpointHealth Health(string endpoint) => _health.GetOrAdd(endpoint, _ => new EndpointHealth());

    /// <summary>Clears what is known of <paramref name="endpoint"/>'s health (it is a new member).</summary>
    private void Forget(string endpoint)
    {
        if (_health.TryGetValue(endpoint, out var health) && health.IsEjected(Context.TimeProvider.GetTimestamp()))
        {
            LogRejoined(Context.Logger, Context.Id, endpoint);
        }

        health?.Reset();
    }

    private async Task TickAsync()
    {
        if (Interlocked.Exchange(ref _ticking, 1) != 0)
        {
            return;
        }

        try
        {
            if (_checker is { } checker)
            {
                var endpoints = Volatile.Read(ref _present);
                var results = await Task.WhenAll(endpoints.Select(e => checker.CheckAsync(e, _stopping.Token))).ConfigureAwait(false);
                for (var i = 0; i < endpoints.Count; i++)
                {
                    if (Health(endpoints[i]).RecordCheck(results[i], _options.HealthCheck))
                    {
                        LogHealthChanged(Context.Logger, Context.Id, endpoints[i], results[i] ? "healthy" : "unhealthy");
                    }
                }
            }

            Rebuild();
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping: no more checks.
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    /// <summary>
    /// Makes the members that should own keys now (present, passing checks, not ejected) the
    /// owners: starts new ones, and closes the others, whose queues then flow to the new owners.
    /// </summary>
    private void Rebuild()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        lock (_lock)
        {
            var now = Context.TimeProvider.GetTimestamp();
            var present = Volatile.Read(ref _present).Where(LoadBalancingOptions.IsEndpoint).Distinct(StringComparer.Ordinal).ToArray();
            var healthy = present.Where(e => Health(e).CheckedHealthy).ToList();
            var ejected = healthy.Where(e => Health(e).IsEjected(now)).ToList();
            var allowed = present.Length * _options.Ejection.MaxEjectedPercent / 100;
            var chosen = healthy.Except(ejected.Take(allowed), StringComparer.Ordinal).ToArray();
            if (chosen.Length == 0)
            {
                // Nobody looks healthy: keep sending to everyone present (with retries) rather than to nobody.
                chosen = present;
            }

            var current = Volatile.Read(ref _view).Hash?.Members ?? [];
            if (current.Count == chosen.Length && !current.Except(chosen, StringComparer.Ordinal).Any())
            {
                return;
            }

            foreach (var endpoint in chosen.Where(e => !_active.ContainsKey(e)))
            {
                _active[endpoint] = StartMember(endpoint);
            }

            Volatile.Write(ref _view, chosen.Length == 0
                ? new View(null, [])
                : new View(new RendezvousHash(chosen), chosen.Select(e => _active[e]).ToArray()));
            foreach (var gone in _active.Keys.Except(chosen, StringComparer.Ordinal).ToArray())
            {
                var member = _active[gone];
                _active.Remove(gone);
                _closed.Add(member);
                member.Close();
            }

            LogMembers(Context.Logger, Context.Id, string.Join(", ", chosen));
        }
    }

    private LoadBalancingMember StartMember(string endpoint)
    {
        var exporter = new OtlpExporterOptions
        {
            Endpoint = endpoint,
            Protocol = _options.Protocol,
            Compression = _options.Compression,
            Headers = _options.Headers,
            Timeout = _options.Timeout,
        };
        // Within a tier, a batch says how long ago the tier received it: a tail sampler behind a
        // member counts its decisionWait from then (data re-routed after a member died waits less).
        IOtlpSender sender = _options.Protocol == OtlpProtocol.Grpc
            ? new GrpcOtlpSender(exporter) { AgeClock = Context.TimeProvider }
            : new HttpOtlpSender(exporter, Context.TimeProvider);
        var member = new LoadBalancingMember(endpoint, sender, _options.QueueSize);
        member.Consumers = Task.WhenAll(Enumerable.Range(0, _options.Consumers).Select(_ => Task.Run(() => ConsumeAsync(member))));
        return member;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "operator '{OperatorId}': members now {Members}")]
    private static partial void LogMembers(ILogger logger, string operatorId, string members);

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': {Endpoint} is {State}")]
    private static partial void LogHealthChanged(ILogger logger, string operatorId, string endpoint, string state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': {Endpoint} failed {Failures} sends in a row and is ejected for {Seconds} s")]
    private static partial void LogEjected(ILogger logger, string operatorId, string endpoint, int failures, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "operator '{OperatorId}': {Endpoint} registered again; its ejection ends")]
    private static partial void LogRejoined(ILogger logger, string operatorId, string endpoint);

    [LoggerMessage(Level = LogLevel.Error, Message = "operator '{OperatorId}': {Items} items for {Endpoint} failed: {Message}")]
    private static partial void LogFailed(ILogger logger, string operatorId, string endpoint, int items, string message);

    /// <summary>The owners now: the hash over their endpoints and, in the same order, the members.</summary>
    private sealed record View(RendezvousHash? Hash, LoadBalancingMember[] Members);

    private sealed class MembershipObserver(LoadBalancingOperator owner) : IObserver<IReadOnlyList<string>>
    {
        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        private Dictionary<string, long> _generations = new(StringComparer.Ordinal);

        public void OnNext(IReadOnlyList<string> value)
        {
            // A member that joins, or registers again (a new lease: the process restarted), is a new
            // member: what was learnt of the old one (an ejection, failed checks) no longer holds.
            var directory = owner._membership as IMemberDirectory;
            var generations = value.ToDictionary(m => m, m => directory?.GenerationOf(m) ?? 0, StringComparer.Ordinal);
            foreach (var (member, generation) in generations)
            {
                if (!_generations.TryGetValue(member, out var before) || before != generation)
                {
                    owner.Forget(member);
                }
            }

            _generations = generations;
            Volatile.Write(ref owner._present, value);
            owner.Rebuild();
        }
    }
}
