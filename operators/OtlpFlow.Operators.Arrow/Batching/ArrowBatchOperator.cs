using Google.Protobuf;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Arrow.Encoding;
using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Operators.Arrow.Batching;

/// <summary>
/// A dynamic batcher for Arrow links: gathers batches (per signal and tenant) until their
/// estimated Arrow-encoded size reaches <c>targetSize</c>, or their oldest data waited
/// <c>maxLatency</c>. The estimate is the OTLP size times a ratio learned per signal by encoding
/// one sent batch in <c>sampleEvery</c> with a stream encoder of its own, so batch sizes follow
/// the data as its compressibility changes. Merged batches hold the acknowledgement shares of
/// all their parts.
/// </summary>
[Operator("arrow.batch", Options = typeof(ArrowBatchOptions),
    Description = "Gathers batches toward a target Arrow-encoded size or a latency bound, learning the encoded-size ratio from the data.",
    Example = """{ "targetSize": "256KiB", "maxLatency": "200ms" }""")]
public sealed class ArrowBatchOperator : GatheringOperator
{
    /// <summary>Encoded bytes per OTLP byte before anything is learned (about what generated traces give with zstd).</summary>
    private const double InitialRatio = 0.2;

    private readonly ArrowBatchOptions _options;
    private readonly Dictionary<Signal, (OtlpArrowEncoder Encoder, double Ratio, long Sent)> _learned = [];

    /// <summary>Creates the operator.</summary>
    public ArrowBatchOperator(ArrowBatchOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>The current encoded-bytes-per-OTLP-byte estimate of a signal.</summary>
    public double RatioOf(Signal signal)
    {
        lock (_learned)
        {
            return _learned.TryGetValue(signal, out var learned) ? learned.Ratio : InitialRatio;
        }
    }

    /// <summary>Batches sent because they reached the target size.</summary>
    public long SentBySize { get; private set; }

    /// <summary>Batches sent because their oldest data reached the latency bound (or at drain).</summary>
    public long SentByLatency { get; private set; }

    /// <inheritdoc />
    protected override TimeSpan MaxWait => _options.MaxLatency;

    /// <inheritdoc />
    protected override long WeightOf(TelemetryBatch batch) => batch.SizeBytes;

    /// <inheritdoc />
    protected override bool IsFull(GatheredBatches gathered) => gathered.Weight * RatioOf(gathered.Signal) >= _options.TargetSize.Bytes;

    /// <inheritdoc />
    protected override async ValueTask SendAsync(GatheredBatches gathered, IOperatorOutput output, bool onTime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(gathered);
        ArgumentNullException.ThrowIfNull(output);
        if (onTime)
        {
            SentByLatency++;
        }
        else
        {
            SentBySize++;
        }

        var payload = gathered.Merge();
        Learn(gathered.Signal, payload, gathered.Weight);
        var batch = TelemetryBatch.Create(payload, gathered.Context, Acknowledgement.Merge(gathered.Shares));
        await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    private void Learn(Signal signal, IMessage payload, long otlpBytes)
    {
        lock (_learned)
        {
            if (!_learned.TryGetValue(signal, out var learned))
            {
                learned = (new OtlpArrowEncoder(new ArrowEncoderOptions { Compression = _options.Compression }), InitialRatio, 0);
            }

            // The sample encoder is a stream of its own, so its dictionaries warm up as an
            // exporter's do and the ratio reflects stream-mode sizes.
            if (learned.Sent % _options.SampleEvery == 0 && otlpBytes > 0)
            {
                var measured = learned.Encoder.Encode(payload).Bytes.Length / (double)otlpBytes;
                learned.Ratio = learned.Sent == 0 ? measured : (0.7 * learned.Ratio) + (0.3 * measured);
            }

            learned.Sent++;
            _learned[signal] = learned;
        }
    }
}
