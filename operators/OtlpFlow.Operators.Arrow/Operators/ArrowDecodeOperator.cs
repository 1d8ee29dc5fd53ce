using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Arrow.Encoding;
using OtlpFlow.Operators.Arrow.Memory;

namespace OtlpFlow.Operators.Arrow.Operators;

/// <summary>
/// Replaces the payload of a batch that carries an Arrow encoding (from <c>arrow.encode</c>) by
/// the decoding of that encoding, and drops the encoding from the batch. One decoder per encoder
/// stream replays the stream dictionaries in order. A batch without an encoding passes unchanged;
/// so does one whose encoding cannot be used (the payload was changed after encoding, or an
/// earlier message of the stream never arrived): its OTLP payload is still the data.
/// </summary>
[Operator("arrow.decode", Options = typeof(ArrowDecodeOptions),
    Description = "Decodes the Arrow encoding attached by arrow.encode back into the OTLP payload.",
    Example = """{}""")]
public sealed partial class ArrowDecodeOperator : ProcessorOperator
{
    private readonly SemaphoreSlim _order = new(1, 1);
    private readonly Dictionary<Guid, StreamState> _streams = [];

    /// <summary>Creates the operator.</summary>
    public ArrowDecodeOperator(ArrowDecodeOptions options, OperatorContext context)
        : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        Memory = new TrackingMemoryAllocator(options.MemoryLimit.Bytes > 0 ? options.MemoryLimit.Bytes : long.MaxValue);
        ArrowMetrics.ObserveMemory(context.Meter, Memory, new("operator", context.Id));
    }

    /// <summary>The operator's Arrow memory pool (decompressed buffers).</summary>
    public TrackingMemoryAllocator Memory { get; }

    private long _decoded;
    private long _passedThrough;

    /// <summary>Batches whose payload was rebuilt from their encoding.</summary>
    public long Decoded => Interlocked.Read(ref _decoded);

    /// <summary>Batches passed on with their own payload (no encoding, a stale one, or a broken stream).</summary>
    public long PassedThrough => Interlocked.Read(ref _passedThrough);

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        if (batch.Context.Get<ArrowEncodedAttachment>() is not { } attached)
        {
            Interlocked.Increment(ref _passedThrough);
            await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
            return;
        }

        await Memory.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
        var context = batch.Context.Without<ArrowEncodedAttachment>();
        TelemetryBatch result;
        await _order.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var decoded = TryDecode(attached);

            // A stale encoding is still decoded (above) to keep the dictionaries in step, but the
            // batch's current payload is what goes on.
            if (decoded is not null && ReferenceEquals(batch.Payload, attached.Source))
            {
                Interlocked.Increment(ref _decoded);
                result = batch.Derive(decoded, context);
            }
            else
            {
                Interlocked.Increment(ref _passedThrough);
                result = batch.WithContext(context);
            }
        }
        finally
        {
            _order.Release();
        }

        await output.EmitAsync(result, cancellationToken).ConfigureAwait(false);
    }

    private Google.Protobuf.IMessage? TryDecode(ArrowEncodedAttachment attached)
    {
        var id = attached.Encoded.StreamId;
        if (!_streams.TryGetValue(id, out var stream))
        {
            stream = new StreamState(new OtlpArrowDecoder(Memory));
            _streams.Add(id, stream);
        }

        if (stream.Broken)
        {
            return null;
        }

        try
        {
            return stream.Decoder.Decode(attached.Encoded);
        }
        catch (Exception ex) when (ex is ArrowStreamGapException or InvalidDataException)
        {
            // Later messages of this stream depend on the lost one: pass them through from now on.
            stream.Broken = true;
            stream.Decoder.Dispose();
            LogStreamBroken(Context.Logger, Context.Id, id, ex.Message);
            return null;
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        _order.Dispose();
        foreach (var stream in _streams.Values)
        {
            stream.Decoder.Dispose();
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class StreamState(OtlpArrowDecoder decoder)
    {
        public OtlpArrowDecoder Decoder { get; } = decoder;

        public bool Broken { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': Arrow stream {StreamId} cannot be decoded any more ({Reason}); its batches pass on with their OTLP payload")]
    private static partial void LogStreamBroken(ILogger logger, string operatorId, Guid streamId, string reason);
}
