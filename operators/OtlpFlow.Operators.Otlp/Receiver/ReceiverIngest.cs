using Google.Protobuf;
using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Otlp.Receiver;

/// <summary>
/// The part of the receiver shared by gRPC and HTTP: turns a decoded request into a batch, admits
/// it into the graph under the memory budget and the admission deadline, and waits for its
/// acknowledgement in <c>delivered</c> mode.
/// </summary>
/// <remarks>
/// Requests enter the graph one at a time through a gate. A request that cannot get the gate
/// before its deadline is answered UNAVAILABLE and was never handed over, so a client retry
/// duplicates nothing. Only the request holding the gate can pass its deadline while handed over
/// (the engine does not take back a batch it is placing); it is answered UNAVAILABLE too, but it
/// will still be delivered, so at most that one request per stall may arrive twice (OTLP is
/// at-least-once).
/// </remarks>
internal sealed partial class ReceiverIngest
{
    private readonly OtlpReceiverOptions _options;
    private readonly OperatorContext _context;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TaskCompletionSource<IOperatorOutput> _output = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _closed;

    public ReceiverIngest(OtlpReceiverOptions options, OperatorContext context)
    {
        _options = options;
        _context = context;
    }

    public ReceiverStatistics Statistics { get; } = new();

    public OtlpReceiverOptions Options => _options;

    /// <summary>True when the request's <c>Authorization</c> value satisfies <c>bearerToken</c> (or none is configured).</summary>
    public bool IsAuthorized(string? authorization)
    {
        if (string.IsNullOrEmpty(_options.BearerToken))
        {
            return true;
        }

        const string Scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Constant-time comparison: the time taken reveals nothing about how much of a guess was right.
        var given = System.Text.Encoding.UTF8.GetBytes(authorization[Scheme.Length..].Trim());
        var expected = System.Text.Encoding.UTF8.GetBytes(_options.BearerToken);
        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(given, expected);
    }

    /// <summary>Connects the graph's output; requests that came before wait for it.</summary>
    public void Attach(IOperatorOutput output) => _output.TrySetResult(output);

    /// <summary>Refuses every request from now on; waits for the request being handed over.</summary>
    public async Task CloseAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _closed = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Admits one decoded request and returns the answer for its client.</summary>
    public async Task<ReceiveOutcome> IngestAsync(IMessage request, long wireSize, string? tenant, CancellationToken requestAborted)
    {
        var batchSize = Math.Max(wireSize, 1);
        if (!_context.Memory.TryReserve(batchSize))
        {
            return Statistics.Count(new ReceiveOutcome(ReceiveStatus.Throttled,
                "the pipeline is over its memory limit; retry later", RetryAfter: _options.RetryAfter));
        }

        var memory = _context.Memory;
        var (share, tracker) = Acknowledgement.Create(batchSize, (t, _) => memory.Release(t.SizeBytes));
        var context = new BatchContext(tenant, NoMetadata, _context.TimeProvider.GetUtcNow());
        var batch = TelemetryBatch.Create(request, context, share, wireSize);

        using var deadline = new CancellationTokenSource(_options.AdmissionTimeout, _context.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, requestAborted);
        try
        {
            await _gate.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            share.Refuse(batch.ItemCount, "not admitted");
            return Statistics.Count(new ReceiveOutcome(ReceiveStatus.Unavailable,
                "the pipeline is full; retry later", RetryAfter: _options.RetryAfter));
        }

        Task emit;
        try
        {
            if (_closed)
            {
                share.Refuse(batch.ItemCount, "receiver stopping");
                _gate.Release();
                return Statistics.Count(new ReceiveOutcome(ReceiveStatus.Unavailable, "the receiver is stopping; retry later", RetryAfter: _options.RetryAfter));
            }

            emit = EmitAndReleaseAsync(batch);
        }
        catch
        {
            _gate.Release();
            throw;
        }

        try
        {
            await emit.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!emit.IsCompleted)
        {
            LogAdmittedLate(_context.Logger, _context.Id, batch.ItemCount);
            return Statistics.Count(new ReceiveOutcome(ReceiveStatus.Unavailable,
                "the pipeline is full; this request is still being admitted and will be delivered, so a retry may duplicate it",
                RetryAfter: _options.RetryAfter));
        }
        catch (Exception ex)
        {
            // The pipeline aborted (or a bug): the share is failed, the client may retry elsewhere.
            share.Fail(batch.ItemCount, ex);
            return Statistics.Count(new ReceiveOutcome(ReceiveStatus.Unavailable, "the pipeline is not accepting data: " + ex.Message, RetryAfter: _options.RetryAfter));
        }

        if (_options.Ack == OtlpAckMode.Accepted)
        {
            return Statistics.Count(ReceiveOutcome.Success);
        }

        AcknowledgementResult result;
        try
        {
            result = await tracker.Completion.WaitAsync(requestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return Statistics.Count(new ReceiveOutcome(ReceiveStatus.Unavailable, "the client gave up before delivery was confirmed"));
        }

        return Statistics.Count(Outcome(result));
    }

    private ReceiveOutcome Outcome(AcknowledgementResult result)
    {
        if (!result.Succeeded)
        {
            var error = result.Error;
            var retryable = error is not OtlpExportException { IsRetryable: false };
            return retryable
                ? new ReceiveOutcome(ReceiveStatus.Unavailable, $"{result.FailedItems} items could not be delivered: {error?.Message}", RetryAfter: _options.RetryAfter)
                : new ReceiveOutcome(ReceiveStatus.Internal, $"{result.FailedItems} items were rejected downstream: {error?.Message}");
        }

        return result.RefusedItems > 0
            ? new ReceiveOutcome(ReceiveStatus.Ok, result.RefusalReason ?? "refused by a policy", result.RefusedItems)
            : ReceiveOutcome.Success;
    }

    private async Task EmitAndReleaseAsync(TelemetryBatch batch)
    {
        try
        {
            var output = await _output.Task.ConfigureAwait(false);
            var port = PortOf(batch.Signal);
            var toSignal = output.IsLinked(port);
            var toOut = output.IsLinked(IOperatorOutput.DefaultPort);
            if (toSignal && toOut)
            {
                await output.EmitAsync(port, batch.Fork(clonePayload: false)).ConfigureAwait(false);
                await output.EmitAsync(IOperatorOutput.DefaultPort, batch).ConfigureAwait(false);
            }
            else
            {
                // With nothing linked the engine counts the batch as unrouted and refuses it.
                await output.EmitAsync(toSignal ? port : IOperatorOutput.DefaultPort, batch).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The output port of a signal.</summary>
    public static string PortOf(Signal signal) => signal switch
    {
        Signal.Traces => "traces",
        Signal.Metrics => "metrics",
        _ => "logs",
    };

    private static readonly IReadOnlyDictionary<string, string> NoMetadata = new Dictionary<string, string>();

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': a request of {Items} items passed its admission deadline while being handed over; it will be delivered, and the client was told to retry")]
    private static partial void LogAdmittedLate(ILogger logger, string operatorId, int items);
}
