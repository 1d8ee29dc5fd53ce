using System.Buffers;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// Tail sampling, like the Collector's tail_sampling processor: holds spans by trace id and decides
/// each whole trace with its policies <c>decisionWait</c> after its first span, or
/// <c>afterRootWait</c> after its root span when that is sooner. A <c>drop</c> policy that matches
/// wins; otherwise any policy that keeps the trace keeps it; otherwise it is dropped. Kept traces go
/// to <c>out</c>, dropped ones to <c>dropped</c> (counted by reason either way). Spans arriving
/// after their trace was decided follow the remembered decision. Bounded by <c>maxTraces</c> and
/// <c>maxBytes</c>; a drain decides everything held.
/// </summary>
/// <remarks>
/// Held spans are kept compactly, not as the input's objects: each span's protobuf encoding in a
/// <see cref="SpanArena"/> of large chunks, resources and scopes once each (<see cref="InternedScopes"/>),
/// and per trace only the summary the policies read (<see cref="HeldTrace"/>). <c>maxBytes</c> counts
/// the chunks and interned entries really held. Kept traces (and dropped ones when <c>dropped</c> is
/// linked) are rebuilt into a request from those bytes (<see cref="HeldTraceWriter"/>); dropped
/// traces nobody reads are only counted. Each input batch that gave spans to a held trace keeps one
/// acknowledgement share per trace until that trace is decided: a client's request is answered when
/// the last of its traces is kept (delivered downstream) or dropped (refused by policy). All state is
/// guarded by one lock; the clock is <see cref="OperatorContext.TimeProvider"/>.
/// </remarks>
[Operator("sampling.tail", Options = typeof(TailSamplingOptions), Description = "Holds spans by trace and keeps whole traces chosen by policies (latency, errors, attributes, rates...).",
    Example = """{ "decisionWait": "10s", "policies": [ { "type": "statusCode", "name": "errors", "codes": ["ERROR"] }, { "type": "latency", "name": "slow", "thresholdMs": 500 } ] }""")]
public sealed partial class TailSamplingOperator : ProcessorOperator, IHoldsData
{
    private const string NotSampledReason = "not-sampled";
    private const int MaxSpansPerBatch = 8192;

    private readonly TailSamplingOptions _options;
    private readonly TailPolicy[] _policies;
    private readonly Dictionary<TraceKey, HeldTrace> _traces = [];
    private readonly PriorityQueue<HeldTrace, DateTimeOffset> _due = new();
    private readonly Queue<HeldTrace> _arrival = new();
    private readonly DecisionCache _keptCache;
    private readonly DecisionCache _droppedCache;
    private readonly TraceValueExtractor _values;
    private readonly SpanArena _arena;
    private readonly InternedScopes _scopes;
    private readonly HeldTraceWriter _writer;
    private byte[] _contiguous = [];
    private int _heldTraceCount;
    private long _heldBytes;
    private long _heldSpans;
    private long _peakHeldSpans;
    private long _peakHeldBytes;
    private long _batchSequence;
    private long _decidedEarly;
    private long _lateKept;
    private long _lateDropped;

    /// <summary>Creates the operator.</summary>
    /// <exception cref="ArgumentException">A policy is not valid.</exception>
    public TailSamplingOperator(TailSamplingOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problem = options.Policies.SelectMany((p, i) => p.Check($"policies[{i}].")).FirstOrDefault();
        if (problem is not null)
        {
            throw new ArgumentException($"operator '{context.Id}': '{problem.MemberNames.FirstOrDefault()}' {problem.ErrorMessage}", nameof(options));
        }

        _options = options;
        _values = new TraceValueExtractor(options.Policies);
        _arena = new SpanArena(SpanArena.ChunkSizeFor(options.MaxBytes.Bytes));
        _scopes = new InternedScopes(_values);
        _writer = new HeldTraceWriter(_arena, _scopes);

        // Drop policies first: a matching drop decides the trace without charging the rate limits of the others.
        _policies = options.Policies
            .Select((p, i) => (Options: p, Policy: TailPolicy.Create(p, $"{TailPolicy.Camel(p.Type)}-{i}", _values)))
            .OrderBy(p => p.Options.Type == TailPolicyType.Drop ? 0 : 1)
            .Select(p => p.Policy)
            .ToArray();
        _keptCache = new DecisionCache(options.KeptCacheSize);
        _droppedCache = new DecisionCache(options.DroppedCacheSize);
        Counters = new SamplingCounters(context.Id, context.Meter);
        context.Meter?.CreateObservableGauge("otlpflow.sampling.tail.held.spans", () => new Measurement<long>(HeldSpans, new KeyValuePair<string, object?>("operator", context.Id)), "{span}", "Spans a tail sampler holds.");
        context.Meter?.CreateObservableGauge("otlpflow.sampling.tail.held.bytes", () => new Measurement<long>(HeldBytes, new KeyValuePair<string, object?>("operator", context.Id)), "By", "Bytes a tail sampler holds (arena chunks and interned resources and scopes).");
    }

    /// <summary>Kept and dropped spans by reason (the deciding policy's name, or <c>not-sampled</c>).</summary>
    public SamplingCounters Counters { get; }

    /// <summary>Traces held, undecided.</summary>
    public int HeldTraces => Volatile.Read(ref _heldTraceCount);

    /// <summary>
    /// Bytes held for undecided traces: the arena chunks that hold at least one of their spans
    /// (whole chunks, partly filled or partly released ones included) and the interned resources and
    /// scopes. This is what <c>maxBytes</c> bounds.
    /// </summary>
    public long HeldBytes => Interlocked.Read(ref _heldBytes);

    /// <summary>Spans held, undecided.</summary>
    public long HeldSpans => Interlocked.Read(ref _heldSpans);

    /// <summary>The most spans held at once so far.</summary>
    public long PeakHeldSpans => Interlocked.Read(ref _peakHeldSpans);

    /// <summary>The most bytes held at once so far (as <see cref="HeldBytes"/>).</summary>
    public long PeakHeldBytes => Interlocked.Read(ref _peakHeldBytes);

    /// <inheritdoc />
    long IHoldsData.PeakHeldItems => PeakHeldSpans;

    /// <summary>Bytes of the held spans' records (encodings and 16-byte headers): <see cref="HeldBytes"/> less chunk space that is free or released but not yet reusable.</summary>
    internal long LiveSpanBytes => _arena.LiveBytes;

    /// <summary>Bytes of the interned resources and scopes of held spans.</summary>
    internal long InternedBytes => _scopes.HeldBytes;

    /// <summary>Arena chunks holding spans.</summary>
    internal int HeldChunks => _arena.HeldChunks;

    /// <summary>Traces in the arrival queue (held ones, and decided ones not yet dequeued).</summary>
    internal int ArrivalQueueLength => _arrival.Count;

    /// <summary>The arena's chunk size.</summary>
    internal int ChunkSize => _arena.ChunkSize;

    /// <summary>Traces decided before their time because <c>maxTraces</c> or <c>maxBytes</c> was reached.</summary>
    public long TracesDecidedEarly => Interlocked.Read(ref _decidedEarly);

    /// <summary>Spans that arrived after their trace was kept, and were kept.</summary>
    public long LateSpansKept => Interlocked.Read(ref _lateKept);

    /// <summary>Spans that arrived after their trace was dropped, and were dropped.</summary>
    public long LateSpansDropped => Interlocked.Read(ref _lateDropped);

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        if (batch.Signal != Signal.Traces)
        {
            await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
            return;
        }

        // An encoded batch (from a receiver or the generator) is read in place: its spans' bytes are
        // copied into the arena and its objects are never built.
        var encoded = batch.TryGetEncoded(out var bytes);
        var request = encoded ? null : batch.Traces!;

        if (_options.OnFull == TailSamplingFullMode.Block)
        {
            // What the batch can add: its spans' encodings with their record headers, and the
            // chunk the last of them may open.
            var incoming = batch.SizeBytes + ((long)batch.ItemCount * SpanArena.HeaderSize) + _arena.ChunkSize;
            await WaitForRoomAsync(incoming, output, cancellationToken).ConfigureAwait(false);
        }

        var now = Context.TimeProvider.GetUtcNow();
        if (request is null)
        {
            await HoldEncodedAsync(batch, bytes, now, output, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await HoldAsync(batch, request, now, output, cancellationToken).ConfigureAwait(false);
        }

        var decide = new List<HeldTrace>();
        if (_options.OnFull == TailSamplingFullMode.DecideEarly)
        {
            while ((_traces.Count > _options.MaxTraces || _heldBytes > _options.MaxBytes.Bytes) && _arrival.TryDequeue(out var oldest))
            {
                if (!oldest.Decided)
                {
                    Release(oldest);
                    decide.Add(oldest);
                    _decidedEarly++;
                }
            }
        }

        TakeDue(now, decide);
        var outgoing = Decide(decide, now, output);
        ScheduleTick(now);
        await SendAsync(outgoing, output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Decides the traces whose wait is over (the engine calls it when the earliest is due).</summary>
    public override async ValueTask TickAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        await DecideDueAsync(output, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask FlushAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var all = new List<HeldTrace>(_traces.Count);
        while (_arrival.TryDequeue(out var trace))
        {
            if (!trace.Decided)
            {
                Release(trace);
                all.Add(trace);
            }
        }

        _due.Clear();
        var outgoing = Decide(all, Context.TimeProvider.GetUtcNow(), output);
        await SendAsync(outgoing, output, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask DecideDueAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        var now = Context.TimeProvider.GetUtcNow();
        var decide = new List<HeldTrace>();
        TakeDue(now, decide);
        var outgoing = Decide(decide, now, output);
        ScheduleTick(now);
        await SendAsync(outgoing, output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds the batch's spans to their traces — each span's encoding to the arena, its fields to its
    /// trace's summary — and sends on at once the spans of traces already decided.
    /// </summary>
    private async ValueTask HoldAsync(TelemetryBatch batch, ExportTraceServiceRequest request, DateTimeOffset now, IOperatorOutput output, CancellationToken cancellationToken)
    {
        var late = new LateSpans(batch.Context, now, Due(batch.Context, now));
        var sequence = _batchSequence++;
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var resourceId = -1;
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                var scopeId = -1;
                foreach (var span in scopeSpans.Spans)
                {
                    if (scopeId < 0)
                    {
                        resourceId = resourceId < 0 ? _scopes.InternResource(resourceSpans) : resourceId;
                        scopeId = _scopes.InternScope(resourceId, scopeSpans);
                    }

                    var trace = Place(batch, TraceKey.From(span.TraceId), sequence, now, late, out var held);
                    var length = _arena.Write(span, scopeId, out var chunk, out var offset);
                    Link(trace, chunk, offset, length, resourceId, scopeId, span.StartTimeUnixNano, span.EndTimeUnixNano, (int)(span.Status?.Code ?? Status.Types.StatusCode.Unset));
                    if (held)
                    {
                        if (_values.ReadsAttributes || _values.ReadsTraceState)
                        {
                            _values.AddSpanValues(trace, span);
                        }

                        if (span.ParentSpanId.IsEmpty)
                        {
                            RootArrived(trace, now);
                        }
                    }
                }
            }
        }

        await SendLateAsync(batch, late, output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <see cref="HoldAsync"/> for an encoded request: walks its ResourceSpans, ScopeSpans and spans
    /// in place, reads the few fields the sampler needs, and copies each span's bytes into the arena;
    /// no object is built for a span unless a policy reads its attributes.
    /// </summary>
    private async ValueTask HoldEncodedAsync(TelemetryBatch batch, ReadOnlySequence<byte> encoded, DateTimeOffset now, IOperatorOutput output, CancellationToken cancellationToken)
    {
        var late = new LateSpans(batch.Context, now, Due(batch.Context, now));
        WalkRequest(batch, Contiguous(encoded).Span, _batchSequence++, now, late);
        await SendLateAsync(batch, late, output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The trace a span of trace <paramref name="key"/> joins: its held trace (new if needed, holding
    /// one share of <paramref name="batch"/>), or, for a trace decided already, the late group of that
    /// decision (<paramref name="held"/> false; counted here).
    /// </summary>
    private HeldTrace Place(TelemetryBatch batch, TraceKey key, long sequence, DateTimeOffset now, LateSpans late, out bool held)
    {
        if (!_traces.TryGetValue(key, out var trace))
        {
            if (_keptCache.TryGet(key, out var keptReason))
            {
                Counters.CountKept(1, keptReason);
                _lateKept++;
                held = false;
                return late.Kept ??= late.NewGroup();
            }

            if (_droppedCache.TryGet(key, out var droppedReason))
            {
                Counters.CountDropped(1, droppedReason);
                _lateDropped++;
                held = false;
                late.Dropped ??= new Dictionary<string, HeldTrace>(StringComparer.Ordinal);
                if (!late.Dropped.TryGetValue(droppedReason, out var group))
                {
                    late.Dropped[droppedReason] = group = late.NewGroup();
                }

                return group;
            }

            trace = new HeldTrace(key, late.Due, batch.Context);
            _traces.Add(key, trace);
            Volatile.Write(ref _heldTraceCount, _traces.Count);
            _arrival.Enqueue(trace);
            _due.Enqueue(trace, trace.Due);
        }

        if (trace.LastBatch != sequence)
        {
            trace.LastBatch = sequence;
            // An older part of the trace, sent on by another instance after a newer one came
            // (e.g. from a member that failed): the trace's first span is at least that old.
            BringForward(trace, late.Due);

            // The sampler keeps spans (in its arena), not batches: it holds a share of every request
            // a held trace came from, merged into the batch its decision sends, or settled with it.
            trace.AddShare(batch.Ack.AddShare());
        }

        held = true;
        return trace;
    }

    /// <summary>
    /// When a trace whose first span came in this batch is due: <c>decisionWait</c> after the tier
    /// first received the batch. Data another instance received first and sent on (its age in
    /// <see cref="ArrivedEarlier"/>) has waited part of it already.
    /// </summary>
    private DateTimeOffset Due(BatchContext context, DateTimeOffset now)
    {
        var waited = context.Get<ArrivedEarlier>()?.Age ?? TimeSpan.Zero;
        return now + _options.DecisionWait - TimeSpan.FromTicks(Math.Clamp(waited.Ticks, 0, _options.DecisionWait.Ticks));
    }

    /// <summary>A trace's root arrived: it is decided <c>afterRootWait</c> from now, if that is sooner.</summary>
    private void RootArrived(HeldTrace trace, DateTimeOffset now)
    {
        if (trace.RootSeen)
        {
            return;
        }

        trace.RootSeen = true;
        BringForward(trace, now + _options.AfterRootWait);
    }

    /// <summary>Decides <paramref name="trace"/> at <paramref name="due"/> if that is sooner (the later entry in the queue goes stale).</summary>
    private void BringForward(HeldTrace trace, DateTimeOffset due)
    {
        if (due < trace.Due)
        {
            trace.Due = due;
            _due.Enqueue(trace, due);
        }
    }

    /// <summary>
    /// Sends on the spans of a batch whose traces were decided already, each decision's group as one
    /// request rebuilt from the arena (the groups were written there only for this), or counts and
    /// refuses dropped ones when <c>dropped</c> is not linked.
    /// </summary>
    private async ValueTask SendLateAsync(TelemetryBatch batch, LateSpans late, IOperatorOutput output, CancellationToken cancellationToken)
    {
        UpdateHeld();
        if (late.Kept is null && late.Dropped is null)
        {
            return;
        }

        var outgoing = new List<Outgoing>();
        try
        {
            if (late.Kept is { } kept)
            {
                ReleaseRecords(kept);
                kept.AddShare(batch.Ack.AddShare());
                outgoing.Add(Encode([kept], dropReason: null));
            }

            foreach (var (reason, dropped) in late.Dropped ?? [])
            {
                ReleaseRecords(dropped);
                if (output.IsLinked(IOperatorOutput.DroppedPort))
                {
                    dropped.AddShare(batch.Ack.AddShare());
                    outgoing.Add(Encode([dropped], reason));
                }
                else
                {
                    output.CountDropped(dropped.SpanCount, reason);
                    batch.Ack.AddShare().Refuse(dropped.SpanCount, reason);
                }
            }
        }
        finally
        {
            Reclaim();
        }

        await SendAsync(outgoing, output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The request's bytes in one piece: its only segment, or a copy in a buffer reused under the lock.</summary>
    private ReadOnlyMemory<byte> Contiguous(ReadOnlySequence<byte> encoded)
    {
        if (encoded.IsSingleSegment)
        {
            return encoded.First;
        }

        if (_contiguous.Length < encoded.Length)
        {
            _contiguous = new byte[Math.Max(encoded.Length, _contiguous.Length * 2)];
        }

        encoded.CopyTo(_contiguous);
        return _contiguous.AsMemory(0, (int)encoded.Length);
    }

    /// <summary>
    /// Walks ExportTraceServiceRequest { ResourceSpans (1) { resource (1), ScopeSpans (2) { scope (1),
    /// spans (2), schema_url (3) }, schema_url (3) } } in place.
    /// </summary>
    private void WalkRequest(TelemetryBatch batch, ReadOnlySpan<byte> request, long sequence, DateTimeOffset now, LateSpans late)
    {
        var requestReader = new ProtoReader(request);
        while (requestReader.NextChild(1, out var resourceSpans))
        {
            var hasResource = HeaderOf(resourceSpans, out var resource, out var resourceSchema);
            var resourceId = -1;
            var scopes = new ProtoReader(resourceSpans);
            while (scopes.NextChild(2, out var scopeSpans))
            {
                var hasScope = HeaderOf(scopeSpans, out var scope, out var scopeSchema);
                var scopeId = -1;
                var spans = new ProtoReader(scopeSpans);
                while (spans.NextChild(2, out var span))
                {
                    if (scopeId < 0)
                    {
                        resourceId = resourceId < 0 ? _scopes.InternResource(hasResource, resource, resourceSchema) : resourceId;
                        scopeId = _scopes.InternScope(resourceId, hasScope, scope, scopeSchema);
                    }

                    HoldEncodedSpan(batch, span, sequence, resourceId, scopeId, now, late);
                }
            }
        }
    }

    /// <summary>
    /// The header of a ResourceSpans or ScopeSpans, wherever in it the fields are: its resource or
    /// scope (field 1; returns whether present) and its schema_url (field 3).
    /// </summary>
    private static bool HeaderOf(ReadOnlySpan<byte> entry, out ReadOnlySpan<byte> first, out ReadOnlySpan<byte> schemaUrl)
    {
        var present = false;
        first = default;
        schemaUrl = default;
        var reader = new ProtoReader(entry);
        while (reader.Next(out var field, out var wire))
        {
            if (field == 1 && wire == ProtoReader.LengthDelimited)
            {
                present = true;
                first = reader.ReadBytes();
            }
            else if (field == 3 && wire == ProtoReader.LengthDelimited)
            {
                schemaUrl = reader.ReadBytes();
            }
            else
            {
                reader.Skip(wire);
            }
        }

        return present;
    }

    private void HoldEncodedSpan(TelemetryBatch batch, ReadOnlySpan<byte> span, long sequence, int resourceId, int scopeId, DateTimeOffset now, LateSpans late)
    {
        ReadOnlySpan<byte> traceId = default;
        var isRoot = true;
        ulong start = 0;
        ulong end = 0;
        var status = 0;
        var reader = new ProtoReader(span);
        while (reader.Next(out var field, out var wire))
        {
            switch (field)
            {
                case 1 when wire == ProtoReader.LengthDelimited:
                    traceId = reader.ReadBytes();
                    break;
                case 4 when wire == ProtoReader.LengthDelimited:
                    isRoot = reader.ReadBytes().IsEmpty;
                    break;
                case 7 when wire == ProtoReader.Fixed64:
                    start = reader.ReadFixed64();
                    break;
                case 8 when wire == ProtoReader.Fixed64:
                    end = reader.ReadFixed64();
                    break;
                case 15 when wire == ProtoReader.LengthDelimited:
                    status = StatusCodeOf(reader.ReadBytes());
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        var trace = Place(batch, TraceKey.From(traceId), sequence, now, late, out var held);
        var length = _arena.Write(span, scopeId, out var chunk, out var offset);
        Link(trace, chunk, offset, length, resourceId, scopeId, start, end, status);
        if (held)
        {
            if (_values.ReadsAttributes || _values.ReadsTraceState)
            {
                // Only policies that read attributes or tracestates pay for the span's objects.
                _values.AddSpanValues(trace, Span.Parser.ParseFrom(span));
            }

            if (isRoot)
            {
                RootArrived(trace, now);
            }
        }
    }

    private static int StatusCodeOf(ReadOnlySpan<byte> status)
    {
        var code = 0;
        var reader = new ProtoReader(status);
        while (reader.Next(out var field, out var wire))
        {
            if (field == 3 && wire == ProtoReader.Varint)
            {
                code = (int)reader.ReadVarint();
            }
            else
            {
                reader.Skip(wire);
            }
        }

        return code;
    }

    /// <summary>Links a record written at (<paramref name="chunk"/>, <paramref name="offset"/>) to its trace and adds it to the trace's summary.</summary>
    private void Link(HeldTrace trace, int chunk, int offset, int length, int resourceId, int scopeId, ulong start, ulong end, int status)
    {
        if (trace.TailChunk >= 0)
        {
            _arena.Link(trace.TailChunk, trace.TailOffset, chunk, offset);
        }

        _scopes.AddSpan(scopeId);
        trace.Add(chunk, offset, length, start, end, status);
        if (_values.ReadsAttributes && trace.LastResource != resourceId)
        {
            trace.LastResource = resourceId;
            foreach (var value in _scopes.ResourceValues(resourceId))
            {
                trace.AddValue(value);
            }
        }

        _heldSpans++;
    }

    /// <summary>What a batch's spans share: the groups of its late spans, and when a trace it starts (or an older part of which it brings) is due.</summary>
    private sealed class LateSpans(BatchContext context, DateTimeOffset now, DateTimeOffset due)
    {
        public DateTimeOffset Due { get; } = due;

        public HeldTrace? Kept { get; set; }

        public Dictionary<string, HeldTrace>? Dropped { get; set; }

        /// <summary>A group held like a trace (records linked in the arena) but never in the table of traces.</summary>
        public HeldTrace NewGroup() => new(default, now, context);
    }

    private void UpdateHeld()
    {
        var bytes = _arena.HeldBytes + _scopes.HeldBytes;
        Interlocked.Exchange(ref _heldBytes, bytes);
        if (bytes > _peakHeldBytes)
        {
            Interlocked.Exchange(ref _peakHeldBytes, bytes);
        }

        if (_heldSpans > _peakHeldSpans)
        {
            Interlocked.Exchange(ref _peakHeldSpans, _heldSpans);
        }
    }

    /// <summary>
    /// With <c>onFull: block</c>, holds the call (and so the input: backpressure) until the batch
    /// fits. No tick runs meanwhile, so the call decides what falls due itself, and room comes from that.
    /// </summary>
    private async ValueTask WaitForRoomAsync(long incomingBytes, IOperatorOutput output, CancellationToken cancellationToken)
    {
        while (_traces.Count > 0 && (_traces.Count >= _options.MaxTraces || _heldBytes + incomingBytes > _options.MaxBytes.Bytes))
        {
            SkipStale();
            if (!_due.TryPeek(out _, out var next))
            {
                return; // nothing will fall due: let the batch in rather than wait for ever
            }

            var wait = next - Context.TimeProvider.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, Context.TimeProvider, cancellationToken).ConfigureAwait(false);
            }

            await DecideDueAsync(output, cancellationToken).ConfigureAwait(false);
        }
    }

    private void TakeDue(DateTimeOffset now, List<HeldTrace> decide)
    {
        while (_due.TryPeek(out var trace, out var due) && due <= now)
        {
            _due.Dequeue();
            if (!trace.Decided && trace.Due == due)
            {
                Release(trace);
                decide.Add(trace);
            }
        }
    }

    /// <summary>
    /// Stops holding a trace: its records and scope references are released now, so that the room
    /// counts at once, but stay readable until the decision is sent (<see cref="Reclaim"/>).
    /// </summary>
    private void Release(HeldTrace trace)
    {
        trace.Decided = true;
        _traces.Remove(trace.Key);
        Volatile.Write(ref _heldTraceCount, _traces.Count);
        ReleaseRecords(trace);
    }

    /// <summary>Releases a trace's records and scope references (they stay readable until <see cref="Reclaim"/>).</summary>
    private void ReleaseRecords(HeldTrace trace)
    {
        var chunk = trace.HeadChunk;
        var offset = trace.HeadOffset;
        while (chunk >= 0)
        {
            var bytes = _arena.Read(chunk, offset, out var scopeId, out var nextChunk, out var nextOffset);
            _arena.Release(chunk, bytes.Length);
            _scopes.ReleaseSpan(scopeId);
            chunk = nextChunk;
            offset = nextOffset;
        }

        _heldSpans -= trace.SpanCount;
        UpdateHeld();
    }

    /// <summary>Lets the arena and the interned entries reuse what decided traces released.</summary>
    private void Reclaim()
    {
        _arena.Reclaim();
        _scopes.Reclaim();
    }

    private (bool Keep, string Reason) Evaluate(HeldTrace trace, DateTimeOffset now)
    {
        string? keepReason = null;
        foreach (var policy in _policies)
        {
            var verdict = policy.Evaluate(trace, now);
            if (verdict == TailVerdict.Dropped)
            {
                return (false, policy.Name);
            }

            if (verdict == TailVerdict.Sampled)
            {
                keepReason ??= policy.Name;
            }
        }

        return keepReason is null ? (false, NotSampledReason) : (true, keepReason);
    }

    /// <summary>
    /// Decides released traces: counts them, encodes the requests to send (kept ones, and dropped
    /// ones when <c>dropped</c> is linked) from their held bytes, and refuses the rest. Runs under
    /// the lock; sending happens after it (<see cref="SendAsync"/>), so that holding new
    /// spans does not wait for them.
    /// </summary>
    private List<Outgoing>? Decide(List<HeldTrace> traces, DateTimeOffset now, IOperatorOutput output)
    {
        if (traces.Count == 0)
        {
            return null;
        }

        try
        {
            var kept = new List<HeldTrace>();
            var dropped = new Dictionary<string, List<HeldTrace>>(StringComparer.Ordinal);
            foreach (var trace in traces)
            {
                var (keep, reason) = Evaluate(trace, now);
                trace.ForgetValues();
                if (keep)
                {
                    kept.Add(trace);
                    _keptCache.Add(trace.Key, reason);
                    Counters.CountKept(trace.SpanCount, reason);
                }
                else
                {
                    if (!dropped.TryGetValue(reason, out var list))
                    {
                        dropped[reason] = list = [];
                    }

                    list.Add(trace);
                    _droppedCache.Add(trace.Key, reason);
                    Counters.CountDropped(trace.SpanCount, reason);
                }
            }

            var outgoing = new List<Outgoing>();
            foreach (var part in Chunks(kept))
            {
                outgoing.Add(Encode(part, dropReason: null));
            }

            if (!output.IsLinked(IOperatorOutput.DroppedPort))
            {
                // Nobody reads the dropped traces: count them and refuse their shares, without
                // building a request.
                var shares = new List<Acknowledgement>();
                foreach (var (reason, list) in dropped)
                {
                    long spans = 0;
                    foreach (var trace in list)
                    {
                        spans += trace.SpanCount;
                        shares.Clear();
                        trace.CopySharesTo(shares);
                        Acknowledgement.Merge(shares).Refuse(trace.SpanCount, reason);
                    }

                    output.CountDropped(spans, reason);
                }

                return outgoing;
            }

            foreach (var (reason, list) in dropped)
            {
                foreach (var part in Chunks(list))
                {
                    outgoing.Add(Encode(part, reason));
                }
            }

            return outgoing;
        }
        finally
        {
            Reclaim();
        }
    }

    /// <summary>One request of whole traces, encoded from their held bytes and grouped by resource and scope, holding all their shares.</summary>
    private Outgoing Encode(List<HeldTrace> traces, string? dropReason)
    {
        var buffer = _writer.Encode(traces, out var size);
        var shares = new List<Acknowledgement>();
        var items = 0;
        foreach (var trace in traces)
        {
            trace.CopySharesTo(shares);
            items += trace.SpanCount;
        }

        return new Outgoing(buffer, size, items, traces[0].Context, Acknowledgement.Merge(shares), dropReason);
    }

    /// <summary>Sends encoded requests on (as encoded batches); when one fails, it and those after it fail their shares.</summary>
    private static async ValueTask SendAsync(List<Outgoing>? outgoing, IOperatorOutput output, CancellationToken cancellationToken)
    {
        if (outgoing is null)
        {
            return;
        }

        var i = 0;
        try
        {
            for (; i < outgoing.Count; i++)
            {
                var o = outgoing[i];
                TelemetryBatch batch;
                try
                {
                    // Sent on as bytes: whoever reads the objects decodes them; an exporter or a
                    // sink that only counts never does.
                    batch = TelemetryBatch.CopyEncoded(Signal.Traces, o.Buffer.AsSpan(0, o.Size), o.Items, o.Context, o.Ack);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(o.Buffer);
                }

                if (o.DropReason is null)
                {
                    await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await output.DropAsync(batch, o.DropReason, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex)
        {
            for (var k = i; k < outgoing.Count; k++)
            {
                outgoing[k].Ack.Fail(outgoing[k].Items, ex);
                if (k > i)
                {
                    ArrayPool<byte>.Shared.Return(outgoing[k].Buffer);
                }
            }

            throw;
        }
    }

    /// <summary>Traces grouped by tenant, in batches of at most <see cref="MaxSpansPerBatch"/> spans (a larger trace goes alone).</summary>
    private static IEnumerable<List<HeldTrace>> Chunks(List<HeldTrace> traces)
    {
        foreach (var tenant in traces.GroupBy(t => t.Context.Tenant))
        {
            var part = new List<HeldTrace>();
            var spans = 0;
            foreach (var trace in tenant)
            {
                if (part.Count > 0 && spans + trace.SpanCount > MaxSpansPerBatch)
                {
                    yield return part;
                    part = [];
                    spans = 0;
                }

                part.Add(trace);
                spans += trace.SpanCount;
            }

            if (part.Count > 0)
            {
                yield return part;
            }
        }
    }

    /// <summary>An encoded request waiting to be sent (to <c>out</c>, or to <c>dropped</c> with its reason).</summary>
    private readonly record struct Outgoing(byte[] Buffer, int Size, int Items, BatchContext Context, Acknowledgement Ack, string? DropReason);

    /// <summary>Asks the engine for a tick when the earliest held trace is due.</summary>
    private void ScheduleTick(DateTimeOffset now)
    {
        SkipStale();
        if (_due.TryPeek(out _, out var next))
        {
            RequestTick(next - now);
        }
    }

    private void SkipStale()
    {
        // Traces decided on time leave the arrival queue too: it would otherwise keep every trace
        // ever seen when nothing is decided early (onFull: block).
        while (_arrival.TryPeek(out var first) && first.Decided)
        {
            _arrival.Dequeue();
        }

        // Skip entries left behind when a trace was decided or its due time moved.
        while (_due.TryPeek(out var trace, out var due) && (trace.Decided || trace.Due != due))
        {
            _due.Dequeue();
        }
    }
}
