using Google.Protobuf;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// Gathers small batches into larger ones, like the Collector's batch processor: sends when
/// <c>size</c> is reached or the oldest data waited <c>timeout</c>, splits at <c>maxSize</c>. Keeps
/// one buffer per signal and tenant, keeps every acknowledgement share (a merged batch holds the
/// shares of all its parts) and never swallows an error: a failed send fails those shares.
/// </summary>
[Operator("batch", Options = typeof(BatchOptions), Description = "Gathers batches up to a size or a timeout, splitting at a maximum size.")]
public sealed partial class BatchOperator : ProcessorOperator
{
    private readonly BatchOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(Signal Signal, string? Tenant), Pending> _pending = [];
    private readonly ITimer _timer;
    private Task _timerRun = Task.CompletedTask;

    /// <summary>Creates the operator.</summary>
    public BatchOperator(BatchOptions options, OperatorContext context) : base(context)
    {
        _options = options;
        _timer = context.TimeProvider.CreateTimer(_ => OnTimer(), null, System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);
    }

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
                pending = new Pending(batch.Context, Context.TimeProvider.GetUtcNow() + _options.Timeout);
                _pending[key] = pending;
                ArmTimer();
            }

            pending.Add(batch, Weight(batch));
            if (pending.Weight >= _options.Size)
            {
                _pending.Remove(key);
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
        _timer.Change(System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);
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

    private long Weight(TelemetryBatch batch) => _options.Unit == BatchUnit.Items ? batch.ItemCount : batch.SizeBytes;

    private void ArmTimer()
    {
        var earliest = _pending.Values.Min(p => p.Due);
        var wait = earliest - Context.TimeProvider.GetUtcNow();
        _timer.Change(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, System.Threading.Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        // One timer run at a time; the next is armed when this one has sent what was due.
        _timerRun = _timerRun.ContinueWith(_ => RunTimerAsync(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
    }

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
            // The failed shares were failed where the send failed; the operator goes on.
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
            await SendAsync(pending, output, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SendAsync(Pending pending, IOperatorOutput output, CancellationToken cancellationToken)
    {
        var payloads = Split(pending);
        var merged = Acknowledgement.Merge(pending.Shares);
        for (var i = 0; i < payloads.Count; i++)
        {
            var ack = i == payloads.Count - 1 ? merged : merged.AddShare();
            var batch = TelemetryBatch.Create(payloads[i], pending.Context, ack);
            try
            {
                await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // What was not sent is lost: fail its shares so that no client waits for ever.
                output.CountDropped(payloads.Skip(i + 1).Sum(p => (long)TelemetryBatch.Create(p).ItemCount), "error");
                if (i < payloads.Count - 1)
                {
                    merged.Fail(0, ex);
                }

                throw;
            }
        }
    }

    private List<IMessage> Split(Pending pending)
    {
        var max = _options.MaxSize;
        var byBytes = _options.Unit == BatchUnit.Bytes;
        switch (pending.Signal)
        {
            case Signal.Traces:
                var traces = OtlpBatching.Merge(pending.Payloads.Cast<ExportTraceServiceRequest>());
                return max == 0 ? [traces] : [.. OtlpBatching.Split(traces, max, s => byBytes ? s.CalculateSize() : 1)];
            case Signal.Logs:
                var logs = OtlpBatching.Merge(pending.Payloads.Cast<ExportLogsServiceRequest>());
                return max == 0 ? [logs] : [.. OtlpBatching.Split(logs, max, l => byBytes ? l.CalculateSize() : 1)];
            default:
                var metrics = OtlpBatching.Merge(pending.Payloads.Cast<ExportMetricsServiceRequest>());
                return max == 0 ? [metrics] : [.. OtlpBatching.Split(metrics, max, p => byBytes ? p.CalculateSize() : 1)];
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': sending a batch on timeout failed")]
    private static partial void LogTimerSendFailed(ILogger logger, string operatorId, Exception exception);

    /// <summary>Data gathered for one signal and tenant, with the acknowledgement shares it holds.</summary>
    private sealed class Pending(BatchContext context, DateTimeOffset due)
    {
        public BatchContext Context { get; } = context;

        public DateTimeOffset Due { get; } = due;

        public Signal Signal { get; private set; }

        public List<IMessage> Payloads { get; } = [];

        public List<Acknowledgement> Shares { get; } = [];

        public long Weight { get; private set; }

        public void Add(TelemetryBatch batch, long weight)
        {
            Signal = batch.Signal;
            Payloads.Add(batch.Payload);
            Shares.Add(batch.Ack.AddShare());
            Weight += weight;
        }
    }
}
