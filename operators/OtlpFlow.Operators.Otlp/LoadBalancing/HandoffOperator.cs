using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Conditions;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Otlp.Exporter;
using OtlpFlow.Operators.Routing;

namespace OtlpFlow.Operators.Otlp.LoadBalancing;

/// <summary>
/// On a member of a tier that front instances balance by trace id (<c>loadbalancing</c>), keeps
/// each trace whole while the tier's membership changes. When a member joins, leaves or comes back,
/// the fronts send about 1/N of the trace ids to new owners, among them traces whose first spans
/// another member already holds. For <see cref="HandoffOptions.Window"/> after a change, a member
/// that receives spans of a trace asks who owned the trace before the change (the rings that ended
/// within the window, newest first): when that is another member that still takes data (a member, or
/// one that left and is draining), it hands the spans to that member over OTLP, and keeps handing the
/// trace's later spans there for as long as they come. When it is this member, or nobody reachable,
/// the spans stay here, as do spans another member handed over.
/// </summary>
/// <remarks>
/// Place it right after the member's <c>otlp.receiver</c>, before <c>sampling.tail</c>. The member
/// receiving a handed-over request answers it like any other (with <c>"ack": "delivered"</c>, once
/// its sampler decided), and that answer is the answer to the spans' first client. A member that
/// cannot be reached is not tried again until it registers again; its spans stay here. Metrics and logs pass through. Items handed over count as dropped for
/// <c>handedOff</c> (they left this pipeline for another member's); items that came back count as
/// returned.
/// </remarks>
[Operator("loadbalancing.handoff", Options = typeof(HandoffOptions),
    Description = "On a back-tier member: hands spans of traces that moved in a membership change to the member holding them, so traces stay whole.",
    Example = """{ "membership": "etcd", "window": "5s" }""")]
public sealed partial class HandoffOperator : ProcessorOperator
{
    private const int Keep = 0;

    private readonly HandoffOptions _options;
    private readonly long _window;
    private readonly Dictionary<ulong, Sticky> _sticky = [];
    private readonly ConcurrentDictionary<string, IOtlpSender> _senders = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _unreachable = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<TelemetryBatch> _returned = new();
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _ringsLock = new();
    private IMemberDirectory? _directory;
    private IDisposable? _subscription;
    private Ring[] _rings = [];
    private long _handedOff;
    private long _kept;

    /// <summary>Creates the operator; the membership is followed once it starts.</summary>
    public HandoffOperator(HandoffOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _window = (long)(options.Window.TotalSeconds * context.TimeProvider.TimestampFrequency);
        _slots = new SemaphoreSlim(options.MaxInFlight);
    }

    /// <summary>How long a membership change is honoured; a host waits twice this long after leaving before it drains.</summary>
    public TimeSpan Window => _options.Window;

    /// <summary>Spans handed to another member so far.</summary>
    public long HandedOffItems => Interlocked.Read(ref _handedOff);

    /// <summary>Spans kept here after a handover failed.</summary>
    public long KeptAfterFailure => Interlocked.Read(ref _kept);

    /// <inheritdoc />
    public override TimeSpan TickInterval => _options.Window;

    /// <summary>Follows the membership, which must say which member this instance is.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var source = MembershipSources.Resolve(Context.Services, _options.Membership, Context.Id);
        if (source is not IMemberDirectory { Self: { Length: > 0 } } directory)
        {
            throw new InvalidOperationException(
                $"operator '{Context.Id}': membership '{_options.Membership}' does not say which member this instance is; " +
                "use the membership of the coordination section's etcd (\"etcd\") without 'membersOf', with 'advertise' set to this member's OTLP endpoint");
        }

        _directory = directory;
        _subscription = directory.Subscribe(new MembershipObserver(this));
        return Task.CompletedTask;
    }

    /// <summary>Keeps the spans this member holds or owns, and hands the others to the member that holds their trace.</summary>
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        await ReturnAsync(output, cancellationToken).ConfigureAwait(false);
        var rings = Volatile.Read(ref _rings);
        if (batch.Signal != Signal.Traces || batch.Context.Get<HandedOff>() is not null || rings.Length == 0)
        {
            await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
            return;
        }

        var now = Context.TimeProvider.GetTimestamp();
        if (OwnsAll(batch, rings, now))
        {
            // Steady state: the batch goes on as it came, still encoded, with nothing decoded or stored.
            await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
            return;
        }

        var decider = new Decider(this, rings, now);
        var decisions = new int[batch.ItemCount];
        BatchSplit.Decide(batch.Payload, decider, decisions);
        if (decider.Targets.Count == 0)
        {
            await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
            return;
        }

        var counts = new int[decider.Targets.Count + 1];
        foreach (var d in decisions)
        {
            counts[d]++;
        }

        if (counts[Keep] > 0)
        {
            await output.EmitAsync(batch.Derive(BatchSplit.Select(batch.Payload, decisions, Keep)), cancellationToken).ConfigureAwait(false);
        }

        for (var t = 0; t < decider.Targets.Count; t++)
        {
            var items = counts[t + 1];
            var part = Encoded(batch, BatchSplit.Select(batch.Payload, decisions, t + 1), items);
            try
            {
                await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex)
            {
                // Aborted while waiting for room: this part was neither handed over nor kept.
                part.Ack.Fail(items, ex);
                throw;
            }

            output.CountDropped(items, "handedOff");
            Interlocked.Add(ref _handedOff, items);
            var send = HandOverAsync(decider.Targets[t], part);
            _inFlight.TryAdd(send, 0);
            _ = send.ContinueWith(static (done, state) => ((ConcurrentDictionary<Task, byte>)state!).TryRemove(done, out _), _inFlight, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// True when nothing is to be handed over, read from the batch's encoding without decoding it:
    /// no change within the window, no trace remembered, and this member owns every span's trace.
    /// </summary>
    private bool OwnsAll(TelemetryBatch batch, Ring[] rings, long now)
    {
        if (_sticky.Count > 0 || rings[^1].Hash is not { } hash || !batch.TryGetEncoded(out var encoded))
        {
            return false;
        }

        foreach (var ring in rings)
        {
            if (ring.EndedAt != long.MaxValue && now - ring.EndedAt <= _window)
            {
                return false; // a change within the window: spans may belong elsewhere
            }
        }

        var self = -1;
        for (var m = 0; m < hash.Members.Count && self < 0; m++)
        {
            self = string.Equals(hash.Members[m], _directory!.Self, StringComparison.Ordinal) ? m : -1;
        }

        if (self < 0)
        {
            return false;
        }

        if (encoded.IsSingleSegment)
        {
            return OwnsAll(encoded.FirstSpan, hash, self);
        }

        var copy = System.Buffers.ArrayPool<byte>.Shared.Rent((int)encoded.Length);
        try
        {
            System.Buffers.BuffersExtensions.CopyTo(encoded, copy);
            return OwnsAll(copy.AsSpan(0, (int)encoded.Length), hash, self);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>Walks ExportTraceServiceRequest { ResourceSpans (1) { ScopeSpans (2) { Span (2) { trace_id (1) } } } } in place.</summary>
    private static bool OwnsAll(ReadOnlySpan<byte> request, RendezvousHash hash, int self)
    {
        var resources = new ProtoReader(request);
        while (resources.NextChild(1, out var resourceSpans))
        {
            var scopes = new ProtoReader(resourceSpans);
            while (scopes.NextChild(2, out var scopeSpans))
            {
                var spans = new ProtoReader(scopeSpans);
                while (spans.NextChild(2, out var span))
                {
                    var fields = new ProtoReader(span);
                    var traceId = fields.NextChild(1, out var id) ? id : default;
                    if (hash.OwnerOf(PartitionKey.HashOfTraceId(traceId)) != self)
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }

    /// <summary>Sends on what came back from a member that could not take it, and forgets traces that ended.</summary>
    public override async ValueTask TickAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        await ReturnAsync(output, cancellationToken).ConfigureAwait(false);
        var now = Context.TimeProvider.GetTimestamp();
        foreach (var (key, sticky) in _sticky)
        {
            if (now - sticky.LastSeen > _window)
            {
                _sticky.Remove(key);
            }
        }
    }

    /// <summary>Waits for every handover in flight, then sends on what came back.</summary>
    public override async ValueTask FlushAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var cut = cancellationToken.Register(_stopping.Cancel);
        await Task.WhenAll(_inFlight.Keys).WaitAsync(cancellationToken).ConfigureAwait(false);
        await ReturnAsync(output, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _subscription?.Dispose();
        try
        {
            await Task.WhenAll(_inFlight.Keys).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped: each handover settled its batch itself.
        }

        foreach (var sender in _senders.Values)
        {
            await sender.DisposeAsync().ConfigureAwait(false);
        }

        while (_returned.TryDequeue(out var batch))
        {
            batch.Ack.Fail(batch.ItemCount, new OperationCanceledException($"operator '{Context.Id}' stopped before keeping these spans"));
        }

        _stopping.Dispose();
        _slots.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Emits here what a member could not take.</summary>
    private async ValueTask ReturnAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        while (_returned.TryDequeue(out var batch))
        {
            output.CountReturned(batch.ItemCount);
            await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends <paramref name="part"/> to <paramref name="target"/> and settles it from the answer.
    /// A member that cannot be reached (or fails) is marked so, and the part comes back to be kept here.
    /// </summary>
    private async Task HandOverAsync(string target, TelemetryBatch part)
    {
        try
        {
            var sender = _senders.GetOrAdd(target, endpoint => new GrpcOtlpSender(new OtlpExporterOptions
            {
                Endpoint = endpoint,
                Compression = OtlpCompression.None,
                Headers = new Dictionary<string, string> { [HandedOff.Header] = "1" },
                Timeout = _options.Timeout,
            }) { AgeClock = Context.TimeProvider });
            OtlpSendResult result;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
            {
                timeout.CancelAfter(_options.Timeout);
                try
                {
                    result = await sender.SendAsync(part, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
                {
                    result = OtlpSendResult.Failure(true, $"no answer within {_options.Timeout.TotalSeconds:0.###}s");
                }
            }

            if (result.Succeeded)
            {
                // Handing over is acknowledgement work, as an exporter's: the part holds its own share
                // of the spans' requests, settled from the member's answer.
                if (result.Rejected > 0)
                {
                    part.Ack.AddShare().Refuse(result.Rejected, result.Message ?? "rejected by the member");
                }

                part.Ack.Deliver();
                return;
            }

            if (!result.Retryable)
            {
                part.Ack.Fail(part.ItemCount, new OtlpExportException($"operator '{Context.Id}': {target} refused {part.ItemCount} handed-over spans: {result.Message}", isRetryable: false));
                return;
            }

            MarkUnreachable(target, result.Message);
            Interlocked.Add(ref _kept, part.ItemCount);
            _returned.Enqueue(part);
            RequestTick(TimeSpan.Zero);
        }
        catch (OperationCanceledException ex) when (_stopping.IsCancellationRequested)
        {
            part.Ack.Fail(part.ItemCount, ex);
        }
        catch (Exception ex)
        {
            MarkUnreachable(target, ex.Message);
            Interlocked.Add(ref _kept, part.ItemCount);
            _returned.Enqueue(part);
            RequestTick(TimeSpan.Zero);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>
    /// Marks <paramref name="target"/> unreachable until it registers again (a new generation): a
    /// crashed member restarting at the same endpoint listens before it announces itself, and what
    /// it received then would not be with the traces the others held meanwhile.
    /// </summary>
    private void MarkUnreachable(string target, string? why)
    {
        var generation = _directory?.GenerationOf(target) ?? 0;
        if (_unreachable.TryGetValue(target, out var before) && before == generation)
        {
            return; // already known (sends that were under way fail too): one warning
        }

        _unreachable[target] = generation;
        LogUnreachable(Context.Logger, Context.Id, target, why ?? "no answer");
    }

    /// <summary>
    /// True unless a handover to <paramref name="member"/> failed since it last registered. A member
    /// that left is tried too: one that leaves gracefully takes handovers while it drains (the watch
    /// that tells it is draining may come after the one that tells it left), and one that is gone
    /// fails the first handover at once.
    /// </summary>
    private bool Reachable(string member) =>
        !_unreachable.TryGetValue(member, out var generation) || generation != _directory!.GenerationOf(member);

    private static TelemetryBatch Encoded(TelemetryBatch batch, IMessage part, int items)
    {
        var writer = new SegmentedBytes(pooled: true);
        part.WriteTo(writer);
        return TelemetryBatch.FromSegments(batch.Signal, writer, items, batch.Context, batch.Ack.AddShare());
    }

    /// <summary>
    /// A new ring when the members changed, or one registered again (a new generation: it restarted,
    /// and meanwhile its traces went to others, as if it had not been a member); rings older than the
    /// window are let go.
    /// </summary>
    private void OnMembers(IReadOnlyList<string> members)
    {
        lock (_ringsLock)
        {
            var now = Context.TimeProvider.GetTimestamp();
            var directory = _directory!;
            var generations = members.ToDictionary(m => m, directory.GenerationOf, StringComparer.Ordinal);
            var rings = Volatile.Read(ref _rings);
            var before = rings.Length > 0 ? rings[^1] : null;
            var rejoined = before is null ? [] : members.Where(m => before.Generations.TryGetValue(m, out var g) && g != generations[m]).ToArray();
            if (before is not null && rejoined.Length == 0 && before.Members.SequenceEqual(members, StringComparer.Ordinal))
            {
                return;
            }

            var kept = rings.Where(r => r.EndedAt == long.MaxValue || now - r.EndedAt <= _window)
                .Select(r => r.EndedAt == long.MaxValue ? r with { EndedAt = now } : r).ToList();
            if (rejoined.Length > 0)
            {
                // Until now the re-registered members' traces went to the others: the ring just
                // before this one is the one without them.
                var without = before!.Members.Except(rejoined, StringComparer.Ordinal).ToArray();
                kept.Add(Ring.Of(without, before.Generations, now));
            }

            kept.Add(Ring.Of(members, generations, long.MaxValue));
            Volatile.Write(ref _rings, [.. kept]);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': {Member} could not take handed-over spans ({Why}); its traces stay here until it registers again")]
    private static partial void LogUnreachable(ILogger logger, string operatorId, string member, string why);

    /// <summary>
    /// A ring of members (with the generation each had): the owners of trace ids while it was
    /// current; <see cref="EndedAt"/> is <see cref="long.MaxValue"/> for the current one.
    /// </summary>
    private sealed record Ring(IReadOnlyList<string> Members, IReadOnlyDictionary<string, long> Generations, RendezvousHash? Hash, long EndedAt)
    {
        public static Ring Of(IReadOnlyList<string> members, IReadOnlyDictionary<string, long> generations, long endedAt) =>
            new(members, generations, members.Count == 0 ? null : new RendezvousHash(members), endedAt);
    }

    /// <summary>Where a trace's spans go (null: here) and when its last span came.</summary>
    private sealed class Sticky(string? target, long lastSeen)
    {
        public string? Target { get; } = target;

        public long LastSeen { get; set; } = lastSeen;
    }

    /// <summary>
    /// Decides each span of one batch: 0 keeps it here, i hands it to <see cref="Targets"/>[i - 1].
    /// Runs in the operator's call, the only one touching the trace table.
    /// </summary>
    private sealed class Decider(HandoffOperator owner, Ring[] rings, long now) : ItemDecider
    {
        /// <summary>
        /// The rings to ask, in order: those that ended within the window, newest first (a trace that
        /// is still sending most likely started under the ring just before the change), then the
        /// current one.
        /// </summary>
        private readonly Ring[] _live = [.. rings.Where(r => r.EndedAt != long.MaxValue && now - r.EndedAt <= owner._window).Reverse(), .. rings.Where(r => r.EndedAt == long.MaxValue)];

        public List<string> Targets { get; } = [];

        public override int Decide(Resource? resource, InstrumentationScope? scope, Span span)
        {
            var trace = PartitionKey.TraceId.Hash(resource, scope, span);
            return Index(Target(trace));
        }

        public override int Decide(Resource? resource, InstrumentationScope? scope, LogRecord log) => Keep;

        public override int Decide(Resource? resource, InstrumentationScope? scope, Metric metric, DataPointView point) => Keep;

        private int Index(string? target)
        {
            if (target is null)
            {
                return Keep;
            }

            var i = Targets.IndexOf(target);
            if (i < 0)
            {
                Targets.Add(target);
                i = Targets.Count - 1;
            }

            return i + 1;
        }

        /// <summary>Where the trace's spans go: the member it went to before (while its spans keep coming), else the owner when it moved.</summary>
        private string? Target(ulong trace)
        {
            var sticky = owner._sticky;
            if (sticky.TryGetValue(trace, out var known) && now - known.LastSeen <= owner._window
                && (known.Target is null || owner.Reachable(known.Target)))
            {
                known.LastSeen = now;
                return known.Target;
            }

            var self = owner._directory!.Self;
            string? target = null;
            foreach (var ring in _live)
            {
                if (ring.Hash is not { } hash)
                {
                    continue;
                }

                var member = hash.Members[hash.OwnerOf(trace)];
                if (string.Equals(member, self, StringComparison.Ordinal))
                {
                    break;
                }

                if (owner.Reachable(member))
                {
                    target = member;
                    break;
                }
            }

            // In steady state (one ring, this member the owner) nothing needs remembering.
            if (target is not null || _live.Length > 1 || known is not null)
            {
                if (sticky.Count >= owner._options.MaxTraces && known is null)
                {
                    owner.Evict(now);
                }

                sticky[trace] = new Sticky(target, now);
            }

            return target;
        }
    }

    /// <summary>Makes room in a full trace table: forgets ended traces, else the oldest tenth.</summary>
    private void Evict(long now)
    {
        foreach (var (key, sticky) in _sticky)
        {
            if (now - sticky.LastSeen > _window)
            {
                _sticky.Remove(key);
            }
        }

        if (_sticky.Count >= _options.MaxTraces)
        {
            foreach (var key in _sticky.OrderBy(s => s.Value.LastSeen).Take(Math.Max(1, _options.MaxTraces / 10)).Select(s => s.Key).ToArray())
            {
                _sticky.Remove(key);
            }
        }
    }

    private sealed class MembershipObserver(HandoffOperator owner) : IObserver<IReadOnlyList<string>>
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
