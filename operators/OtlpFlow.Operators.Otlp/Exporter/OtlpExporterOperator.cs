using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Flow;
using OtlpFlow.Operators.Resilience;

namespace OtlpFlow.Operators.Otlp.Exporter;

/// <summary>
/// Sends batches to an OTLP peer over gRPC, HTTP/protobuf or HTTP/JSON, with compression, headers,
/// a per-attempt timeout, retries of what the OTLP specification calls retryable (exponential
/// backoff with jitter, honouring RetryInfo and Retry-After) and a bounded sending queue, in memory
/// or persistent on disk.
/// </summary>
/// <remarks>
/// A batch in the in-memory queue keeps its own share of its acknowledgement until it is sent or
/// given up, so a receiver in <c>delivered</c> mode answers its client only once the peer has
/// accepted the data. A batch in the persistent queue is settled once it is on disk (durably
/// queued); a crash then loses nothing, and the queue is sent on at the next start. A partial
/// success is logged and counted, never retried.
/// </remarks>
[Operator("otlp.exporter", Options = typeof(OtlpExporterOptions),
    Description = "Sends to an OTLP peer over gRPC or HTTP (protobuf, JSON) with retries and a sending queue.",
    Example = """{ "endpoint": "http://127.0.0.1:4317" }""")]
public sealed partial class OtlpExporterOperator : SinkOperator
{
    private readonly OtlpExporterOptions _options;

    // Cancelled when the exporter is disposed or its drain is cut short: queued retries stop then.
    private readonly CancellationTokenSource _stopping = new();
    /// <summary>The most requests spent isolating the bad items of one batch the peer refused as invalid.</summary>
    private const int MaxIsolationRequests = 64;

    private Channel<TelemetryBatch>? _queue;
    private DurableBatchQueue? _durable;

    // Set during a drain when a persistent queue's peer fails: what is left stays on disk.
    private readonly TaskCompletionSource _peerFailingInDrain = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _draining;
    private Task[] _consumers = [];
    private IOtlpSender? _sender;
    private readonly RetryExecutor _retry;
    private readonly RetryBudget? _budget;
    private readonly TimeoutPolicy _timeout;
    private readonly CircuitBreaker? _breaker;

    /// <summary>Creates the exporter; connections are made when it starts.</summary>
    public OtlpExporterOperator(OtlpExporterOptions options, OperatorContext context)
        : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _budget = options.RetryBudget is { } budget ? new RetryBudget(budget, context.TimeProvider) : null;
        _retry = new RetryExecutor(options.Retry, context.TimeProvider, _budget);
        _timeout = new TimeoutPolicy(options.Timeout);
        _breaker = options.Breaker is { } breaker
            ? new CircuitBreaker(breaker, context.Id, context.TimeProvider, context.Logger, context.Meter)
            : null;
    }

    /// <summary>The circuit breaker in front of the peer (the <c>breaker</c> key), or null: watch, isolate or reset it.</summary>
    public CircuitBreaker? Breaker => _breaker;

    /// <summary>The retry budget shared by this exporter's batches (the <c>retryBudget</c> key), or null.</summary>
    internal RetryBudget? RetryBudget => _budget;

    /// <summary>The timeout the next attempt gets (fixed, or adaptive with <c>timeout.adaptive</c>).</summary>
    public TimeSpan CurrentTimeout => _timeout.Current;

    /// <summary>Counts of what was sent, rejected and failed.</summary>
    public ExporterStatistics Statistics { get; } = new();

    /// <summary>
    /// Replaces the sender before the exporter starts: the seam for a breaker or a failover that
    /// wraps the protocol's sender. The function receives the protocol's sender.
    /// </summary>
    internal Func<IOtlpSender, IOtlpSender>? DecorateSender { get; set; }

    /// <summary>Creates the protocol's sender and starts the queue's consumers.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        IOtlpSender sender;
        try
        {
            sender = _options.Protocol == OtlpProtocol.Grpc
                ? new GrpcOtlpSender(_options)
                : new HttpOtlpSender(_options, Context.TimeProvider);
        }
        catch (InvalidOperationException ex)
        {
            // A TLS file that cannot be loaded: the pipeline cannot start as configured.
            throw new OperatorFaultException($"operator '{Context.Id}': {ex.Message}", ex);
        }

        _sender = DecorateSender is null ? sender : DecorateSender(sender);
        if (_options.Queue.Path is { } path)
        {
            try
            {
                _durable = DurableBatchQueue.Open(path, _options.Queue.MaxBytes.Bytes);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new OperatorFaultException($"operator '{Context.Id}': cannot open the persistent queue in '{path}': {ex.Message}", ex);
            }

            if (_durable.Recovered > 0 || _durable.Damaged > 0)
            {
                LogRecovered(Context.Logger, Context.Id, _durable.Recovered, path, _durable.Damaged);
            }

            _consumers = Enumerable.Range(0, _options.Queue.Consumers).Select(_ => Task.Run(ConsumeDurableAsync)).ToArray();
        }
        else if (_options.Queue.Size > 0)
        {
            _queue = Channel.CreateBounded<TelemetryBatch>(new BoundedChannelOptions(_options.Queue.Size)
            {
                FullMode = BoundedChannelFullMode.Wait,
                SingleReader = _options.Queue.Consumers == 1,
            });
            _consumers = Enumerable.Range(0, _options.Queue.Consumers).Select(_ => Task.Run(ConsumeAsync)).ToArray();
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// With a persistent queue: writes the batch to disk (waiting for room), which settles it.
    /// With a queue in memory: places the batch in it (waiting for room) holding a share of its
    /// acknowledgement. Without a queue: sends it now, with retries, and throws when it cannot be delivered.
    /// </summary>
    public override async ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (_durable is not null)
        {
            await _durable.EnqueueAsync(batch, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (_queue is null)
        {
            await ExportAsync(batch, cancellationToken).ConfigureAwait(false);
            return;
        }

        var queued = batch.Fork(clonePayload: false);
        try
        {
            await _queue.Writer.WriteAsync(queued, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // An exporter's job is acknowledgement: it settles each batch from the peer's answer
            // (delivered, partly rejected, failed permanently or after its retries).
            queued.Ack.Fail(queued.ItemCount, ex);
            throw;
        }
    }

    /// <summary>
    /// Waits until the queue is empty and every batch in it has been sent or given up. A persistent
    /// queue stops early when the peer fails during the drain: its batches are safe on disk and are
    /// sent at the next start.
    /// </summary>
    public override async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_durable is not null)
        {
            _draining = true;
            _durable.CompleteAdding();
            var consumers = Task.WhenAll(_consumers);
            if (await Task.WhenAny(consumers, _peerFailingInDrain.Task).WaitAsync(cancellationToken).ConfigureAwait(false) != consumers)
            {
                LogLeftOnDisk(Context.Logger, Context.Id, _durable.Count, _options.Queue.Path!);
                await _stopping.CancelAsync().ConfigureAwait(false);
                await consumers.ConfigureAwait(false);
            }

            return;
        }

        if (_queue is null)
        {
            return;
        }

        _queue.Writer.TryComplete();
        using var cut = cancellationToken.Register(_stopping.Cancel);
        await Task.WhenAll(_consumers).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the queue (failing whatever an in-memory queue still holds) and the connections.</summary>
    public override async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_durable is not null)
        {
            await Task.WhenAll(_consumers).ConfigureAwait(false);
            _durable.Dispose();
        }

        if (_queue is not null)
        {
            _queue.Writer.TryComplete();
            await Task.WhenAll(_consumers).ConfigureAwait(false);
            while (_queue.Reader.TryRead(out var left))
            {
                left.Ack.Fail(left.ItemCount, new OperationCanceledException("the exporter stopped before sending this batch"));
            }
        }

        if (_sender is not null)
        {
            await _sender.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private async Task ConsumeAsync()
    {
        await foreach (var batch in _queue!.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await ExportAsync(batch, _stopping.Token).ConfigureAwait(false);
                batch.Ack.Deliver();
            }
            catch (Exception ex)
            {
                // Counted and logged by ExportAsync; the client of a delivered-mode receiver hears of it.
                batch.Ack.Fail(batch.ItemCount, ex);
            }
        }
    }

    private async Task ConsumeDurableAsync()
    {
        var queue = _durable!;
        try
        {
            while (await queue.DequeueAsync(_stopping.Token).ConfigureAwait(false) is { } record)
            {
                try
                {
                    await ExportAsync(record.Batch, _stopping.Token, durable: true).ConfigureAwait(false);
                }
                catch (Exception) when (_stopping.IsCancellationRequested)
                {
                    // Stopping (a cancelled call may surface as the client library's own exception):
                    // the record stays on disk and is sent at the next start.
                    return;
                }
                catch (OtlpExportException)
                {
                    // Refused for good by the peer (a durable record is never given up on while the
                    // peer fails retryably): counted and logged by ExportAsync. Its client was
                    // answered when it reached the disk; nothing is left to tell.
                }

                queue.Complete(record);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping while waiting for a record.
        }
    }

    /// <summary>
    /// Sends one batch: each attempt asks the breaker (when configured) and runs under the timeout;
    /// the retry executor decides, from the outcome and the peer's hint, whether and when to try
    /// again (backoff, maxAttempts, maxElapsed, the retry budget).
    /// </summary>
    /// <param name="batch">The batch.</param>
    /// <param name="cancellationToken">Stops the attempts.</param>
    /// <param name="durable">
    /// The batch is in the persistent queue, acknowledged to its client: where a batch in memory would
    /// be given up (<c>maxAttempts</c>, <c>maxElapsed</c>, the retry budget), a durable one starts a
    /// new round of retries instead, so that only the peer's permanent refusal ever removes it.
    /// </param>
    /// <param name="isolation">
    /// Requests left for isolating bad items in this batch (<see cref="IsolateAsync"/>); null at the top.
    /// </param>
    private async Task ExportAsync(TelemetryBatch batch, CancellationToken cancellationToken, bool durable = false, StrongBox<int>? isolation = null)
    {
        var sender = _sender ?? throw new InvalidOperationException($"operator '{Context.Id}': the exporter is not started");
        var time = Context.TimeProvider;
        var started = time.GetTimestamp();
        var previousWait = TimeSpan.Zero;
        _budget?.RecordRequest();
        for (var attempt = 1; ; attempt++)
        {
            var result = await AttemptAsync(sender, batch, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                Statistics.CountSent(batch.ItemCount, result.Rejected);
                if (result.Rejected > 0 || result.Message is not null)
                {
                    Statistics.CountPartial();
                    if (result.Rejected > 0)
                    {
                        // The rejection travels upstream: a delivered-mode receiver reports it to its
                        // own client as a partial success.
                        batch.Ack.AddShare().Refuse(result.Rejected, result.Message ?? "rejected by the peer");
                    }

                    LogPartialSuccess(Context.Logger, Context.Id, result.Rejected, batch.ItemCount, result.Message ?? string.Empty);
                }

                return;
            }

            var outcome = result.Retryable ? AttemptOutcome.Retryable(result.RetryAfter) : AttemptOutcome.Permanent;
            var elapsed = time.GetElapsedTime(started);
            var decision = _retry.Decide(attempt, elapsed, outcome, previousWait);
            if (!decision.Retry && durable && decision.Stop is not RetryStop.NotRetryable)
            {
                LogDurableRetryRound(Context.Logger, Context.Id, batch.ItemCount, attempt, result.Message ?? string.Empty);
                started = time.GetTimestamp();
                attempt = 0;
                decision = new RetryDecision(true, previousWait > TimeSpan.Zero ? previousWait : TimeSpan.FromSeconds(1), decision.Stop);
            }

            if (!decision.Retry && result.InvalidData)
            {
                await IsolateAsync(batch, result, cancellationToken, durable, isolation ?? new StrongBox<int>(MaxIsolationRequests)).ConfigureAwait(false);
                return;
            }

            if (!decision.Retry)
            {
                Statistics.CountFailed(batch.ItemCount);
                if (decision.Stop is RetryStop.NotRetryable or RetryStop.Disabled)
                {
                    LogFailed(Context.Logger, Context.Id, batch.ItemCount, result.Message ?? string.Empty);
                    throw new OtlpExportException($"operator '{Context.Id}': the peer refused {batch.ItemCount} items: {result.Message}", result.Retryable);
                }

                LogGaveUp(Context.Logger, Context.Id, batch.ItemCount, attempt, result.Message ?? string.Empty);
                throw new OtlpExportException($"operator '{Context.Id}': gave up on {batch.ItemCount} items after {attempt} attempts in {elapsed.TotalSeconds:0.#}s ({decision.Stop}): {result.Message}", isRetryable: true);
            }

            if (_draining)
            {
                _peerFailingInDrain.TrySetResult();
            }

            LogRetrying(Context.Logger, Context.Id, batch.ItemCount, decision.Delay.TotalMilliseconds, result.Message ?? string.Empty);
            Statistics.CountRetry();
            previousWait = decision.Delay;
            await Task.Delay(decision.Delay, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The peer refused <paramref name="batch"/> as invalid data. A batch gathers requests of many
    /// clients, so one bad item must not cost the others their delivery: the batch is split in halves
    /// and each is sent on its own, down to the bad items, which alone are refused (reported upstream
    /// as rejected items in a partial success, and counted). At most <see cref="MaxIsolationRequests"/>
    /// requests are spent on one batch; what is left when they run out is refused whole.
    /// </summary>
    private async Task IsolateAsync(TelemetryBatch batch, OtlpSendResult refusal, CancellationToken cancellationToken, bool durable, StrongBox<int> isolation)
    {
        if (batch.ItemCount <= 1 || isolation.Value <= 0)
        {
            Statistics.CountSent(batch.ItemCount, batch.ItemCount);
            batch.Ack.AddShare().Refuse(batch.ItemCount, refusal.Message ?? "refused by the peer as invalid data");
            LogRefusedInvalid(Context.Logger, Context.Id, batch.ItemCount, refusal.Message ?? string.Empty);
            return;
        }

        foreach (var half in Halves(batch.Payload, batch.ItemCount))
        {
            isolation.Value--;
            var part = batch.Derive(half);
            try
            {
                await ExportAsync(part, cancellationToken, durable, isolation).ConfigureAwait(false);
                part.Ack.Deliver();
            }
            catch (Exception ex)
            {
                part.Ack.Fail(part.ItemCount, ex);
                throw;
            }
        }
    }

    /// <summary>Two requests of about half the items each (three when the split falls inside the structure).</summary>
    private static IEnumerable<Google.Protobuf.IMessage> Halves(Google.Protobuf.IMessage payload, int items)
    {
        var half = (items + 1) / 2;
        return payload switch
        {
            ExportTraceServiceRequest traces => OtlpBatching.Split(traces, half, static _ => 1),
            ExportLogsServiceRequest logs => OtlpBatching.Split(logs, half, static _ => 1),
            ExportMetricsServiceRequest metrics => OtlpBatching.Split(metrics, half, static _ => 1),
            _ => [payload],
        };
    }

    /// <summary>One attempt: rejected at once by an open breaker, else sent under the current timeout.</summary>
    private async Task<OtlpSendResult> AttemptAsync(IOtlpSender sender, TelemetryBatch batch, CancellationToken cancellationToken)
    {
        var permit = _breaker?.Acquire() ?? default;
        if (_breaker is not null && !permit.IsGranted)
        {
            // Retryable, and the retry waits for the break to end rather than for the backoff.
            return OtlpSendResult.Failure(true, $"the circuit to the peer is {_breaker.State.ToString().ToLowerInvariant()}", permit.RetryAfter > TimeSpan.Zero ? permit.RetryAfter : null);
        }

        var limit = _timeout.Current;
        var started = Context.TimeProvider.GetTimestamp();
        OtlpSendResult result;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(limit);
            try
            {
                result = await sender.SendAsync(batch, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                result = OtlpSendResult.Failure(true, $"no answer within the timeout of {limit.TotalSeconds:0.###}s");
            }
            catch
            {
                _breaker?.Release(permit);
                throw;
            }
        }

        if (result.Succeeded)
        {
            _timeout.Record(Context.TimeProvider.GetElapsedTime(started));
        }

        // A permanent refusal (bad data) says the peer is up: only retryable failures count against it.
        if (result.Succeeded || !result.Retryable)
        {
            _breaker?.RecordSuccess(permit);
        }
        else
        {
            _breaker?.RecordFailure(permit);
        }

        return result;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': partial success, the peer rejected {Rejected} of {Items} items: {Message}")]
    private static partial void LogPartialSuccess(ILogger logger, string operatorId, long rejected, int items, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "operator '{OperatorId}': {Items} items failed and are not retryable: {Message}")]
    private static partial void LogFailed(ILogger logger, string operatorId, int items, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "operator '{OperatorId}': gave up on {Items} items after {Attempts} attempts: {Message}")]
    private static partial void LogGaveUp(ILogger logger, string operatorId, int items, int attempts, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "operator '{OperatorId}': the persistent queue in '{Path}' holds {Records} batches from before (skipped {Damaged} damaged)")]
    private static partial void LogRecovered(ILogger logger, string operatorId, int records, string path, int damaged);

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': the peer refused {Items} items as invalid data ({Error}); they are counted as rejected and the rest of their batch was delivered")]
    private static partial void LogRefusedInvalid(ILogger logger, string operatorId, int items, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': {Items} items from the persistent queue still fail after {Attempts} attempts ({Error}); they stay queued and a new round of retries starts")]
    private static partial void LogDurableRetryRound(ILogger logger, string operatorId, int items, int attempts, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': the peer fails; {Records} batches stay in the persistent queue in '{Path}' for the next start")]
    private static partial void LogLeftOnDisk(ILogger logger, string operatorId, int records, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "operator '{OperatorId}': retrying {Items} items in {DelayMs} ms: {Message}")]
    private static partial void LogRetrying(ILogger logger, string operatorId, int items, double delayMs, string message);
}
