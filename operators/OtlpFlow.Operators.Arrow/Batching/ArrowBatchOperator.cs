using Google.Protobuf;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Arrow.Encoding;

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
    Description = "Gathers batches toward a target Arrow-encoded size or a latency bound, learning the encoded-size ratio from the data.")]
public sealed partial class ArrowBatchOperator : ProcessorOperator
{
    /// <summary>Encoded bytes per OTLP byte before anything is learned (about what generated traces give with zstd).</summary>
    private const double InitialRatio = 0.2;

    private readonly ArrowBatchOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(Signal Signal, string? Tenant), Pending> _pending = [];
    private readonly Dictionary<Signal, (OtlpArrowEncoder Encoder, double Ratio, long Sent)> _learned = [];
    private readonly ITimer _timer;
    private Task _timerRun = Task.CompletedTask;

    /// <summary>Creates the operator.</summary>
    public ArrowBatchOperator(ArrowBatchOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _timer = context.TimeProvider.CreateTimer(_ => OnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
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
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var key = (batch.Signal, batch.Context.Tenant);
            if (!_pending.TryGetValue(key, out var pending))
            {
                pending = new Pending(batch.Signal, batch.Context, Context.TimeProvider.GetUtcNow() + _options.MaxLatency);
                _pending[key] = pending;
                ArmTimer();
            }

            pending.Payloads.Add(batch.Payload);
            pending.Shares.Add(batch.Ack.AddShare());
            pending.OtlpBytes += batch.SizeBytes;
            if (pending.OtlpBytes * RatioOf(batch.Signal) >= _options.TargetSize.Bytes)
            {
                _pending.Remove(key);
                SentBySize++;
                await SendAsync(pending, output, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public override async ValueTask FlushAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        await _timerRun.ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SendDueAsync(DateTimeOffset.MaxValue, output, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void ArmTimer()
    {
        var wait = _pending.Values.Min(p => p.Due) - Context.TimeProvider.GetUtcNow();
        _timer.Change(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private void OnTimer() =>
        _timerRun = _timerRun.ContinueWith(_ => RunTimerAsync(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();

    private async Task RunTimerAsync()
    {
        try
        {
            await _gate.WaitAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        try
        {
            await SendDueAsync(Context.TimeProvider.GetUtcNow(), Output, CancellationToken.None).ConfigureAwait(false);
            if (_pending.Count > 0)
            {
                ArmTimer();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogTimerSendFailed(Context.Logger, Context.Id, ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task SendDueAsync(DateTimeOffset now, IOperatorOutput output, CancellationToken cancellationToken)
    {
        foreach (var (key, pending) in _pending.Where(p => p.Value.Due <= now).ToList())
        {
            _pending.Remove(key);
            SentByLatency++;
            await SendAsync(pending, output, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SendAsync(Pending pending, IOperatorOutput output, CancellationToken cancellationToken)
    {
        IMessage payload = pending.Signal switch
        {
            Signal.Traces => OtlpBatching.Merge(pending.Payloads.Cast<ExportTraceServiceRequest>()),
            Signal.Logs => OtlpBatching.Merge(pending.Payloads.Cast<ExportLogsServiceRequest>()),
            _ => OtlpBatching.Merge(pending.Payloads.Cast<ExportMetricsServiceRequest>()),
        };
        Learn(pending.Signal, payload, pending.OtlpBytes);
        var batch = TelemetryBatch.Create(payload, pending.Context, Acknowledgement.Merge(pending.Shares));
        try
        {
            await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            batch.Ack.Fail(batch.ItemCount, ex);
            throw;
        }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': sending a batch on the latency bound failed")]
    private static partial void LogTimerSendFailed(ILogger logger, string operatorId, Exception exception);

    /// <summary>Data gathered for one signal and tenant, with the acknowledgement shares it holds.</summary>
    private sealed class Pending(Signal signal, BatchContext context, DateTimeOffset due)
    {
        public Signal Signal { get; } = signal;

        public BatchContext Context { get; } = context;

        public DateTimeOffset Due { get; } = due;

        public List<IMessage> Payloads { get; } = [];

        public List<Acknowledgement> Shares { get; } = [];

        public long OtlpBytes { get; set; }
    }
}
