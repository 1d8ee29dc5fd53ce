using Google.Protobuf;
using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Otlp.Protocol;

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

    /// <summary>A buffer for a request body, charged to the pipeline's memory budget as it grows.</summary>
    public ChargedBuffer NewBuffer() => new(_context.Memory);

    /// <summary>The pipeline's clock.</summary>
    public TimeProvider TimeProvider => _context.TimeProvider;

    /// <summary>The per-request decode limits: <c>maxDecodedSize</c> (never more than the memory limit), elements, items.</summary>
    public DecodeLimits Limits
    {
        get
        {
            var decoded = _options.MaxDecodedSize.Bytes;
            if (_context.Memory.LimitBytes > 0)
            {
                decoded = Math.Min(decoded, _context.Memory.LimitBytes);
            }

            return new DecodeLimits(decoded, _options.MaxElementsPerRequest, _options.MaxItemsPerRequest);
        }
    }

    /// <summary>
    /// Estimates what decoding <paramref name="body"/> costs, refuses it past the per-request limits,
    /// charges the estimate to the memory budget (throttling when it cannot), and only then decodes
    /// and admits it. The body's buffer is released once it is decoded.
    /// </summary>
    /// <remarks><paramref name="noun"/> is "body" or "message", for error messages.</remarks>
    public async Task<ReceiveOutcome> DecodeAndIngestAsync(Signal signal, bool json, ChargedBuffer body, string noun, RequestOrigin origin, CancellationToken requestAborted)
    {
        var what = $"OTLP {(json ? "JSON" : "protobuf")} {signal.ToString().ToLowerInvariant()} request";
        var limits = Limits;
        long estimate;
        if (json)
        {
            // No schema walk for JSON, but an upper bound on its values: every object and array has
            // its '{' or '[', and every value after the first in one follows a ','. The parser builds
            // a node for each value (unknown keys included), so each is charged a node, on top of a
            // multiple of the text (the UTF-16 copy alone is twice it). "[0,0,0,...]" behind a
            // small compressed body is thereby refused as what it would decode to.
            long elements = 0;
            foreach (var segment in body.Sequence)
            {
                var span = segment.Span;
                elements += span.Count((byte)'{') + span.Count((byte)'[') + span.Count((byte)',');
            }

            if (limits.MaxElements > 0 && elements > limits.MaxElements)
            {
                return Statistics.Count(new ReceiveOutcome(ReceiveStatus.TooLarge,
                    $"the {noun} would decode to more than {limits.MaxElements} values (maxElementsPerRequest)"));
            }

            estimate = (JsonExpansion * body.Length) + (JsonNodeBytes * elements);
            if (limits.MaxDecodedBytes > 0 && estimate > limits.MaxDecodedBytes)
            {
                return Statistics.Count(new ReceiveOutcome(ReceiveStatus.TooLarge,
                    $"the {noun} would decode to more than {limits.MaxDecodedBytes} bytes of memory (maxDecodedSize): OTLP/JSON is charged {JsonExpansion} bytes per byte of text and {JsonNodeBytes} per value"));
            }
        }
        else
        {
            var scan = DecodedSizeEstimator.Scan(DecodedSizeEstimator.RequestDescriptor(signal), body.Sequence, limits);
            switch (scan.Verdict)
            {
                case DecodeVerdict.Invalid:
                    return Statistics.Count(new ReceiveOutcome(ReceiveStatus.InvalidArgument, $"the {noun} is not a valid {what}: {scan.Problem}"));
                case DecodeVerdict.TooLarge or DecodeVerdict.TooManyElements:
                    return Statistics.Count(new ReceiveOutcome(ReceiveStatus.TooLarge, $"the {noun} is refused: {scan.Problem}"));
            }

            estimate = scan.DecodedBytes;
        }

        // The budget is charged with what the decoded request will hold, before it exists.
        var reserved = Math.Max(estimate, 1);
        if (!_context.Memory.TryReserve(reserved))
        {
            return Statistics.Count(new ReceiveOutcome(ReceiveStatus.Throttled,
                "the pipeline is over its memory limit; retry later", RetryAfter: _options.RetryAfter));
        }

        IMessage request;
        try
        {
            request = json ? OtlpMessages.ParseJson(signal, body.Sequence) : OtlpMessages.ParseProtobuf(signal, body.Sequence);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or OtlpJsonException)
        {
            _context.Memory.Release(reserved);
            return Statistics.Count(new ReceiveOutcome(ReceiveStatus.InvalidArgument, $"the {noun} is not a valid {what}: {ex.Message}"));
        }

        // What OTLP/JSON refuses while parsing (ids of the wrong length), OTLP/protobuf refuses here:
        // passed on, one bad span would make a peer refuse the whole batch it was merged into.
        if (OtlpValidation.FindProblem(request) is { } problem)
        {
            _context.Memory.Release(reserved);
            return Statistics.Count(new ReceiveOutcome(ReceiveStatus.InvalidArgument, $"the {noun} is not a valid {what}: {problem}"));
        }

        // A protobuf request goes on as its (checked) bytes, copied out of the receive buffer into
        // pooled segments: while it waits on an edge it is a few arrays, not a graph of objects the
        // collector must copy, and an operator that reads the objects decodes them then.
        var wireSize = body.Length;
        SegmentedBytes? encoded = null;
        if (!json && _options.Forward == OtlpForwarding.Encoded)
        {
            encoded = new SegmentedBytes(pooled: true);
            foreach (var segment in body.Sequence)
            {
                encoded.Write(segment.Span);
            }
        }

        body.Dispose();
        return await IngestAsync(request, reserved, wireSize, origin, requestAborted, encoded).ConfigureAwait(false);
    }

    /// <summary>Managed bytes charged per byte of OTLP/JSON text, before it is parsed.</summary>
    private const long JsonExpansion = 4;

    /// <summary>Managed bytes charged per JSON value: the parser's node for it and its slot in a list.</summary>
    private const long JsonNodeBytes = 64;

    /// <summary>
    /// Admits one decoded request and returns the answer for its client. The reserved
    /// bytes are already charged to the memory budget; they are released when the batch settles.
    /// </summary>
    public async Task<ReceiveOutcome> IngestAsync(IMessage request, long reserved, long wireSize, RequestOrigin origin, CancellationToken requestAborted, SegmentedBytes? encoded = null)
    {
        var batchSize = reserved;
        var memory = _context.Memory;
        var (share, tracker) = Acknowledgement.Create(batchSize, (t, _) => memory.Release(t.SizeBytes));
        var context = new BatchContext(origin.Tenant, NoMetadata, _context.TimeProvider.GetUtcNow());
        if (origin.HandedOff)
        {
            context = context.With(LoadBalancing.HandedOff.Instance);
        }

        if (origin.Age > TimeSpan.Zero)
        {
            context = context.With(new Sampling.ArrivedEarlier(origin.Age));
        }
        var batch = TelemetryBatch.Create(request, context, share, wireSize);
        if (encoded is not null)
        {
            // The same request (its item count and signal), carried as its bytes.
            batch = TelemetryBatch.FromSegments(batch.Signal, encoded, batch.ItemCount, context, share);
        }

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
            // What went wrong is for the log; the client hears the fixed answer.
            share.Fail(batch.ItemCount, ex);
            LogUnexpected(ex);
            return Statistics.Count(new ReceiveOutcome(ReceiveStatus.Unavailable, "the pipeline is not accepting data; retry later", RetryAfter: _options.RetryAfter));
        }

        if (_options.Ack == OtlpAckMode.Accepted)
        {
            return Statistics.Count(ReceiveOutcome.Success);
        }

        AcknowledgementResult result;
        using var ackDeadline = new CancellationTokenSource(_options.AckTimeout, _context.TimeProvider);
        using var ackLinked = CancellationTokenSource.CreateLinkedTokenSource(ackDeadline.Token, requestAborted);
        try
        {
            result = await tracker.Completion.WaitAsync(ackLinked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ackDeadline.IsCancellationRequested && !requestAborted.IsCancellationRequested)
        {
            // The batch stays in the pipeline, still charged to the budget; it may be delivered later.
            Statistics.CountAckTimeout();
            LogAckTimedOut(_context.Logger, _context.Id, batch.ItemCount, _options.AckTimeout);
            return Statistics.Count(new ReceiveOutcome(ReceiveStatus.Unavailable,
                $"delivery was not confirmed within ackTimeout ({_options.AckTimeout.TotalSeconds:0.###}s); the data stays in the pipeline and may still be delivered, so a retry may duplicate it",
                RetryAfter: _options.RetryAfter));
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
            // Permanent (the data breaks a rule downstream): OTLP's "do not retry" answer, with the
            // reason, which is about the client's data. Anything else may pass if sent again: the
            // retryable answer with the advertised delay, and no detail, since a transient cause is
            // about the pipeline (its peers, their addresses), which operators log where it happens.
            var error = result.Error;
            return PermanentFailureException.IsPermanent(error)
                ? new ReceiveOutcome(ReceiveStatus.Rejected, $"{result.FailedItems} items were refused downstream: {ShortMessage(error)}")
                : new ReceiveOutcome(ReceiveStatus.Unavailable, $"{result.FailedItems} items could not be delivered now; retry later", RetryAfter: _options.RetryAfter);
        }

        return result.RefusedItems > 0
            ? new ReceiveOutcome(ReceiveStatus.Ok, result.RefusalReason ?? "refused by a policy", result.RefusedItems)
            : ReceiveOutcome.Success;
    }

    /// <summary>The most a failure's message adds to an answer: clients need the gist, not a dump.</summary>
    private const int MaxErrorMessage = 200;

    /// <summary>
    /// The message of the exception an operator failed the batch with, on one line and cut to
    /// <see cref="MaxErrorMessage"/> characters: never a type name, an inner exception or a stack.
    /// </summary>
    internal static string ShortMessage(Exception? error)
    {
        while (error is AggregateException { InnerExceptions.Count: > 0 } aggregate)
        {
            error = aggregate.InnerExceptions[0];
        }

        var message = (error?.Message ?? "failed").ReplaceLineEndings(" ").Trim();
        if (message.Length <= MaxErrorMessage)
        {
            return message;
        }

        // Cut between characters, never inside a surrogate pair.
        var cut = char.IsHighSurrogate(message[MaxErrorMessage - 2]) ? MaxErrorMessage - 2 : MaxErrorMessage - 1;
        return string.Concat(message.AsSpan(0, cut), "…");
    }

    /// <summary>Logs an unexpected failure of the receiver itself; the client gets a short answer.</summary>
    public void LogUnexpected(Exception error) => LogReceiverFailed(_context.Logger, _context.Id, error);

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': a request of {Items} items was not settled downstream within ackTimeout {AckTimeout}; the client was told to retry, and the data stays in the pipeline (a retry may duplicate it)")]
    private static partial void LogAckTimedOut(ILogger logger, string operatorId, int items, TimeSpan ackTimeout);

    [LoggerMessage(Level = LogLevel.Error, Message = "operator '{OperatorId}': a request could not be processed")]
    private static partial void LogReceiverFailed(ILogger logger, string operatorId, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': a request of {Items} items passed its admission deadline while being handed over; it will be delivered, and the client was told to retry")]
    private static partial void LogAdmittedLate(ILogger logger, string operatorId, int items);
}
