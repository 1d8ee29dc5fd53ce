using System.Diagnostics.Metrics;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Arrow.Encoding;
using OtlpFlow.Operators.Arrow.Memory;

namespace OtlpFlow.Operators.Arrow.Operators;

/// <summary>
/// Encodes every batch as the next message of one Arrow stream and attaches the message to the
/// batch (see <see cref="ArrowEncodedAttachment"/>); the OTLP payload goes on unchanged. Messages
/// depend on the ones before them (stream dictionaries), so the operator encodes one batch at a
/// time, in arrival order.
/// </summary>
[Operator("arrow.encode", Options = typeof(ArrowEncodeOptions),
    Description = "Encodes batches as Arrow record batches (stream dictionaries, IPC with LZ4/ZSTD) and attaches them for arrow.decode.",
    Example = """{ "compression": "lz4" }""")]
public sealed class ArrowEncodeOperator : ProcessorOperator
{
    private readonly SemaphoreSlim _order = new(1, 1);
    private readonly OtlpArrowEncoder _encoder;
    private readonly Counter<long> _bytes;
    private readonly KeyValuePair<string, object?> _tag;

    /// <summary>Creates the operator.</summary>
    public ArrowEncodeOperator(ArrowEncodeOptions options, OperatorContext context)
        : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        Memory = new TrackingMemoryAllocator(options.MemoryLimit.Bytes > 0 ? options.MemoryLimit.Bytes : long.MaxValue);
        _encoder = new OtlpArrowEncoder(options.ToEncoderOptions(), Memory);
        _tag = new("operator", context.Id);
        _bytes = context.Meter.CreateCounter<long>("otlpflow.arrow.encoded.bytes", "By", "Bytes of Arrow messages encoded, by operator.");
        ArrowMetrics.ObserveMemory(context.Meter, Memory, _tag);
    }

    /// <summary>The operator's Arrow memory pool.</summary>
    public TrackingMemoryAllocator Memory { get; }

    /// <summary>Total bytes of the messages encoded so far.</summary>
    public long EncodedBytes { get; private set; }

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        await Memory.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
        TelemetryBatch encoded;
        await _order.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var message = _encoder.Encode(batch.Payload);
            EncodedBytes += message.Bytes.Length;
            _bytes.Add(message.Bytes.Length, _tag);
            encoded = batch.WithContext(batch.Context.With(new ArrowEncodedAttachment(message, batch.Payload)));
        }
        finally
        {
            _order.Release();
        }

        await output.EmitAsync(encoded, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        _order.Dispose();
        _encoder.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
