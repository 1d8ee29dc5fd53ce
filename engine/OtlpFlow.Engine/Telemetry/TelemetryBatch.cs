using System.Buffers;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtlpFlow.Engine.Telemetry;

/// <summary>
/// The unit of flow on every edge: one OTLP export request of one signal, with its item count, a
/// size estimate, a context and one share of its acknowledgement. Treat the payload as immutable
/// once emitted; an operator that changes data declares <c>MutatesData</c> and the engine clones
/// for it at a fan-out.
/// </summary>
public sealed class TelemetryBatch
{
    private readonly object _payload;
    private long _sizeBytes;

    private TelemetryBatch(Signal signal, object payload, int itemCount, long sizeBytes, BatchContext context, Acknowledgement ack)
    {
        Signal = signal;
        _payload = payload;
        if (payload is EncodedPayload { Rented: { } rented })
        {
            rented.HoldUntilSettled(ack);
        }

        ItemCount = itemCount;
        _sizeBytes = sizeBytes;
        Context = context;
        Ack = ack;
    }

    /// <summary>Which signal the payload holds.</summary>
    public Signal Signal { get; }

    /// <summary>
    /// The export request: <see cref="ExportTraceServiceRequest"/>, <see cref="ExportMetricsServiceRequest"/> or
    /// <see cref="ExportLogsServiceRequest"/>. A batch made from encoded bytes (<see cref="FromEncoded"/>)
    /// decodes on the first read; from then on its bytes are gone and the objects are the data.
    /// </summary>
    public IMessage Payload => _payload as IMessage ?? ((EncodedPayload)_payload).Message;

    /// <summary>
    /// The payload's protobuf encoding, while the batch still holds only that: true for a batch made
    /// by <see cref="FromEncoded"/> whose <see cref="Payload"/> was never read. An operator that only
    /// copies or forwards the data (an exporter, a sampler holding spans) uses the bytes and never
    /// builds the objects.
    /// </summary>
    public bool TryGetEncoded(out ReadOnlySequence<byte> encoded)
    {
        if (_payload is EncodedPayload e && e.TryGetBytes(out encoded))
        {
            return true;
        }

        encoded = default;
        return false;
    }

    /// <summary>Spans, data points or log records in the payload.</summary>
    public int ItemCount { get; }

    /// <summary>The payload's encoded size in bytes (computed on first use when not given).</summary>
    public long SizeBytes
    {
        get
        {
            var size = Volatile.Read(ref _sizeBytes);
            if (size < 0)
            {
                size = Payload.CalculateSize();
                Volatile.Write(ref _sizeBytes, size);
            }

            return size;
        }
    }

    /// <summary>Tenant, client metadata and receive time.</summary>
    public BatchContext Context { get; }

    /// <summary>This batch's share of its requests' acknowledgements.</summary>
    public Acknowledgement Ack { get; private set; }

    /// <summary>The payload as traces, or null for another signal.</summary>
    public ExportTraceServiceRequest? Traces => Payload as ExportTraceServiceRequest;

    /// <summary>The payload as metrics, or null for another signal.</summary>
    public ExportMetricsServiceRequest? Metrics => Payload as ExportMetricsServiceRequest;

    /// <summary>The payload as logs, or null for another signal.</summary>
    public ExportLogsServiceRequest? Logs => Payload as ExportLogsServiceRequest;

    /// <summary>Makes a batch of traces.</summary>
    public static TelemetryBatch Create(ExportTraceServiceRequest payload, BatchContext? context = null, Acknowledgement? ack = null, long sizeBytes = -1) =>
        new(Signal.Traces, payload, OtlpItems.Count(payload), sizeBytes, context ?? BatchContext.Empty, ack ?? Acknowledgement.None);

    /// <summary>Makes a batch of metrics.</summary>
    public static TelemetryBatch Create(ExportMetricsServiceRequest payload, BatchContext? context = null, Acknowledgement? ack = null, long sizeBytes = -1) =>
        new(Signal.Metrics, payload, OtlpItems.Count(payload), sizeBytes, context ?? BatchContext.Empty, ack ?? Acknowledgement.None);

    /// <summary>Makes a batch of logs.</summary>
    public static TelemetryBatch Create(ExportLogsServiceRequest payload, BatchContext? context = null, Acknowledgement? ack = null, long sizeBytes = -1) =>
        new(Signal.Logs, payload, OtlpItems.Count(payload), sizeBytes, context ?? BatchContext.Empty, ack ?? Acknowledgement.None);

    /// <summary>
    /// Makes a batch from an export request's protobuf encoding, decoded only when an operator reads
    /// <see cref="Payload"/>. Queued batches then hold a few byte arrays (see <see cref="SegmentedBytes"/>)
    /// instead of a graph of objects per item, which the garbage collector would trace and copy for as
    /// long as they wait. The bytes must not change afterwards, and must be a valid encoding (a receiver
    /// has parsed them); <paramref name="itemCount"/> is the request's item count.
    /// </summary>
    public static TelemetryBatch FromEncoded(Signal signal, ReadOnlySequence<byte> encoded, int itemCount, BatchContext? context = null, Acknowledgement? ack = null) =>
        new(signal, new EncodedPayload(signal, encoded), itemCount, encoded.Length, context ?? BatchContext.Empty, ack ?? Acknowledgement.None);

    /// <summary>
    /// A batch holding <paramref name="message"/>'s encoding in segments rented from a shared pool,
    /// which go back to it once this batch and every batch sharing its data are finished (their
    /// shares settled: nobody may read a batch after that). The objects can be dropped at once.
    /// </summary>
    public static TelemetryBatch Encode(Signal signal, IMessage message, int itemCount, BatchContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var writer = new SegmentedBytes(pooled: true);
        message.WriteTo(writer);
        return FromSegments(signal, writer, itemCount, context ?? BatchContext.Empty, Acknowledgement.None);
    }

    /// <summary>
    /// A batch holding a copy of <paramref name="encoded"/> (an export request's encoding) in pooled
    /// segments, which go back to the pool once this batch and every batch sharing its data are
    /// finished (their shares settled).
    /// </summary>
    public static TelemetryBatch CopyEncoded(Signal signal, ReadOnlySpan<byte> encoded, int itemCount, BatchContext context, Acknowledgement ack)
    {
        var writer = new SegmentedBytes(pooled: true);
        writer.Write(encoded);
        return FromSegments(signal, writer, itemCount, context, ack);
    }

    /// <inheritdoc cref="CopyEncoded(Signal, ReadOnlySpan{byte}, int, BatchContext, Acknowledgement)"/>
    public static TelemetryBatch CopyEncoded(Signal signal, ReadOnlySequence<byte> encoded, int itemCount, BatchContext context, Acknowledgement ack)
    {
        var writer = new SegmentedBytes(pooled: true);
        foreach (var segment in encoded)
        {
            writer.Write(segment.Span);
        }

        return FromSegments(signal, writer, itemCount, context, ack);
    }

    /// <summary>
    /// A batch that takes over the segments <paramref name="writer"/> wrote (an export request's
    /// encoding); they go to the pool once this batch and every batch sharing its data are finished.
    /// </summary>
    public static TelemetryBatch FromSegments(Signal signal, SegmentedBytes writer, int itemCount, BatchContext context, Acknowledgement ack)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var encoded = writer.ToSequence();
        return new(signal, new EncodedPayload(signal, encoded, new RentedSegments(writer.Segments)), itemCount, encoded.Length, context, ack);
    }

    /// <summary>
    /// One batch holding the requests of <paramref name="batches"/> in order, made by concatenating
    /// their encodings into pooled segments (concatenated export requests are one request with all
    /// their resources, as <see cref="OtlpBatching"/>'s merge makes), holding the parts' shares merged
    /// (the parts are finished then); null, with nothing changed, unless every batch is still encoded
    /// and of one signal.
    /// </summary>
    public static TelemetryBatch? Concatenate(IReadOnlyList<TelemetryBatch> batches, BatchContext context)
    {
        ArgumentNullException.ThrowIfNull(batches);
        if (batches.Count == 0)
        {
            return null;
        }

        var signal = batches[0].Signal;
        var parts = new ReadOnlySequence<byte>[batches.Count];
        var items = 0;
        for (var i = 0; i < batches.Count; i++)
        {
            if (batches[i].Signal != signal || !batches[i].TryGetEncoded(out parts[i]))
            {
                return null;
            }

            items += batches[i].ItemCount;
        }

        var writer = new SegmentedBytes(pooled: true);
        foreach (var part in parts)
        {
            foreach (var segment in part)
            {
                writer.Write(segment.Span);
            }
        }

        // Copied first: merging the shares finishes the parts, whose segments may then be reused.
        return FromSegments(signal, writer, items, context, Acknowledgement.Merge(batches.Select(b => b.Ack).ToList()));
    }

    /// <summary>Makes a batch of any signal from an export request message.</summary>
    /// <exception cref="ArgumentException">The message is not an OTLP export request.</exception>
    public static TelemetryBatch Create(IMessage payload, BatchContext? context = null, Acknowledgement? ack = null, long sizeBytes = -1) => payload switch
    {
        ExportTraceServiceRequest t => Create(t, context, ack, sizeBytes),
        ExportMetricsServiceRequest m => Create(m, context, ack, sizeBytes),
        ExportLogsServiceRequest l => Create(l, context, ack, sizeBytes),
        _ => throw new ArgumentException($"'{payload?.GetType().Name}' is not an OTLP export request.", nameof(payload)),
    };

    /// <summary>
    /// A batch derived from this one (filtered, split, rewritten) with the same context and a new
    /// share of this batch's acknowledgement. The payload must be of the same signal.
    /// </summary>
    /// <remarks>
    /// Inside an operator call the engine owns the derived batch's share: if the call neither emits
    /// nor drops it (nor <see cref="Retain"/>s it), the engine settles it when the call ends: failed
    /// with the call's exception when it threw; otherwise released when batches were derived from it
    /// in turn (it was split into them), else counted as dropped ("unemitted").
    /// </remarks>
    public TelemetryBatch Derive(IMessage payload) => Derive(payload, Context);

    /// <summary>A batch derived from this one (see <see cref="Derive(IMessage)"/>) with another context.</summary>
    public TelemetryBatch Derive(IMessage payload, BatchContext context)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(context);
        return Follow(payload, context, Ack.AddShare());
    }

    /// <summary>
    /// The same data (or <paramref name="payload"/>, of the same signal) sent on with an observer of
    /// its outcome, for operators that learn from what happens downstream (breakers, canaries,
    /// outlier ejection): <paramref name="onSettled"/> runs once, on the settling thread, when the
    /// returned batch's share is settled (delivered, refused or failed), and that outcome reaches this
    /// batch's clients as well. Inside a call the engine owns the returned batch like a derived one.
    /// </summary>
    public TelemetryBatch Observed(Action<AcknowledgementResult> onSettled, IMessage? payload = null)
    {
        ArgumentNullException.ThrowIfNull(onSettled);
        var (probe, _) = Acknowledgement.Create(0, (_, result) => onSettled(result));
        return Follow(payload, Context, Acknowledgement.Merge([Ack.AddShare(), probe]));
    }

    /// <summary>
    /// A batch that follows this one (derived, re-contexted, observed) holding <paramref name="share"/>:
    /// the same data when <paramref name="payload"/> is null, else that payload, which must be of the
    /// same signal. Inside a call, the call owns it, and this batch counts as split into it.
    /// </summary>
    private TelemetryBatch Follow(IMessage? payload, BatchContext context, Acknowledgement share)
    {
        var followed = payload is null
            ? new TelemetryBatch(Signal, _payload, ItemCount, _sizeBytes, context, share)
            : Create(payload, context, share);
        if (followed.Signal != Signal)
        {
            followed.Ack.Deliver();
            throw new ArgumentException($"A batch of {Signal} cannot be followed by one of {followed.Signal}.", nameof(payload));
        }

        Scope?.Track(followed);
        HasDerived = true;
        return followed;
    }

    /// <summary>
    /// Keeps this batch past the operator call that received or derived it (a batcher, a queue, a
    /// sampler waiting for a decision). The engine then does not settle it when the call ends; it
    /// stays open until the operator emits or drops it through any of its outputs (a later call,
    /// <c>TickAsync</c>, <c>FlushAsync</c>). Should the operator end (drain, stop, abort) still
    /// holding it, the engine fails it, so its client always hears. Outside a call it does nothing.
    /// </summary>
    /// <returns>This batch.</returns>
    public TelemetryBatch Retain()
    {
        Scope?.Retain(this);
        return this;
    }

    /// <summary>The operator call that owns this batch's settlement while it runs; null outside one.</summary>
    internal Pipeline.OperatorNode.BufferedCall? Scope { get; set; }

    /// <summary>True once a batch was derived from this one: a call that split it into others has consumed it.</summary>
    internal bool HasDerived { get; private set; }

    /// <summary>The operator holding this batch after <see cref="Retain"/>; null when none.</summary>
    internal Pipeline.OperatorNode? HeldBy { get; set; }

    /// <summary>A deep copy of the payload with its own share of the acknowledgement (for a fan-out to an operator that mutates data).</summary>
    public TelemetryBatch Fork(bool clonePayload)
    {
        if (!clonePayload)
        {
            return new TelemetryBatch(Signal, _payload, ItemCount, _sizeBytes, Context, Ack.AddShare());
        }

        if (_payload is EncodedPayload e && e.TryCopy() is { } copy)
        {
            // Still encoded: the copy decodes its own objects from the same immutable bytes.
            return new TelemetryBatch(Signal, copy, ItemCount, _sizeBytes, Context, Ack.AddShare());
        }

        IMessage payload = Payload switch
        {
            ExportTraceServiceRequest t => t.Clone(),
            ExportMetricsServiceRequest m => m.Clone(),
            ExportLogsServiceRequest l => l.Clone(),
            _ => throw new InvalidOperationException("Unknown payload type."),
        };
        return new TelemetryBatch(Signal, payload, ItemCount, _sizeBytes, Context, Ack.AddShare());
    }

    /// <summary>The same data with another context (for example a tenant assigned by an operator) and a new share.</summary>
    public TelemetryBatch WithContext(BatchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Follow(null, context, Ack.AddShare());
    }

    /// <summary>
    /// The same data and context holding <paramref name="share"/> instead of a share of this batch's
    /// acknowledgement: for an operator that passes a batch on with its own tracker merged in (take
    /// the share from <c>Ack.AddShare()</c> and merge). The payload is shared, still encoded if it was.
    /// </summary>
    public TelemetryBatch WithAcknowledgement(Acknowledgement share)
    {
        ArgumentNullException.ThrowIfNull(share);
        return new TelemetryBatch(Signal, _payload, ItemCount, _sizeBytes, Context, share);
    }

    /// <summary>
    /// Gives a batch that belongs to no request its first share. The engine does this when a source
    /// emits such a batch, before anything else can see it.
    /// </summary>
    internal void AttachAcknowledgement(Acknowledgement ack)
    {
        if (!Ack.IsNone)
        {
            throw new InvalidOperationException("The batch already holds an acknowledgement share.");
        }

        Ack.MoveHookTo(ack);
        Ack = ack;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Signal} batch: {ItemCount} items, {SizeBytes} bytes";
}
