using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Otlp.Protocol;

namespace OtlpFlow.Operators.Otlp.Receiver;

/// <summary>
/// OTLP/gRPC: the unary <c>Export</c> methods of the trace, metrics and logs services, served
/// directly on Kestrel's HTTP/2. Owning the framing lets one size limit cover the compressed
/// message and its decompression (the gzip-bomb guarantee) and lets every error carry a
/// google.rpc.Status with RetryInfo in <c>grpc-status-details-bin</c>.
/// </summary>
internal sealed class GrpcReceiverHandler(ReceiverIngest ingest)
{
    private const string AcceptEncoding = "identity,gzip,deflate,zstd";

    /// <summary>The longest <c>grpc-timeout</c> honoured; longer ones are clamped to it.</summary>
    private static readonly TimeSpan MaxDeadline = TimeSpan.FromDays(1);

    public async Task HandleAsync(HttpContext http)
    {
        try
        {
            await AnswerAsync(http).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Every failure is answered with a grpc-status, never a bare HTTP 500.
        catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested)
#pragma warning restore CA1031
        {
            // A failure while answering (draining the body, writing the status): logged in full.
            // Before anything was sent, the client still hears a gRPC status, in the response's
            // headers (a Trailers-Only answer), where the server would otherwise send a bare HTTP 500.
            ingest.LogUnexpected(ex);
            if (!http.Response.HasStarted)
            {
                http.Response.Clear();
                http.Response.StatusCode = StatusCodes.Status200OK;
                http.Response.ContentType = "application/grpc";
                foreach (var (name, value) in StatusFields(RpcStatus.Internal, "the request could not be answered", null))
                {
                    http.Response.Headers[name] = value;
                }
            }
        }
    }

    private async Task AnswerAsync(HttpContext http)
    {
        var contentType = http.Request.ContentType ?? string.Empty;
        if (!contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase))
        {
            // The gRPC protocol answers a non-gRPC request with plain HTTP 415.
            http.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.InvalidArgument));
            return;
        }

        var signal = OtlpMessages.SignalOfGrpcPath(http.Request.Path.Value);
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/grpc";
        http.Response.Headers["grpc-accept-encoding"] = AcceptEncoding;
        if (signal is null || !HttpMethods.IsPost(http.Request.Method))
        {
            await FinishAsync(http, RpcStatus.Unimplemented, $"unknown method {http.Request.Path}", null).ConfigureAwait(false);
            ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.InvalidArgument));
            return;
        }

        if (!ingest.IsAuthorized(http.Request.Headers.Authorization.ToString()))
        {
            await FinishAsync(http, RpcStatus.Unauthenticated, "missing or wrong bearer token", null).ConfigureAwait(false);
            ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.Unauthenticated));
            return;
        }

        if (!PayloadCodec.TryParse(http.Request.Headers["grpc-encoding"].ToString(), out var compression))
        {
            await FinishAsync(http, RpcStatus.Unimplemented, $"unsupported grpc-encoding '{http.Request.Headers["grpc-encoding"]}'", null).ConfigureAwait(false);
            ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.InvalidArgument));
            return;
        }

        using var deadline = Deadline(http);
        ReceiveOutcome outcome;
        try
        {
            outcome = await ReceiveAsync(http, signal.Value, compression, deadline).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Every failure is answered with a grpc-status, never a bare HTTP 500.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // A failure of the receiver itself: logged in full, answered in short.
            ingest.LogUnexpected(ex);
            outcome = ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.Internal, "the request could not be processed"));
        }

        if (outcome.Status != ReceiveStatus.Ok)
        {
            await RequestBodies.DrainAsync(http.Request.Body, ingest.Options.MaxRequestSize.Bytes, ingest.Options.BodyIdleTimeout, ingest.TimeProvider, deadline?.Token ?? http.RequestAborted).ConfigureAwait(false);
        }

        if (http.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        switch (outcome.Status)
        {
            case ReceiveStatus.Ok:
                var response = OtlpMessages.Response(signal.Value, outcome.Rejected, outcome.Rejected > 0 ? outcome.Message : null).ToByteArray();
                var frame = new byte[5 + response.Length];
                BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)response.Length);
                response.CopyTo(frame, 5);
                await http.Response.Body.WriteAsync(frame, http.RequestAborted).ConfigureAwait(false);
                await FinishAsync(http, RpcStatus.Ok, null, null).ConfigureAwait(false);
                break;
            case ReceiveStatus.InvalidArgument or ReceiveStatus.Rejected:
                await FinishAsync(http, RpcStatus.InvalidArgument, outcome.Message, null).ConfigureAwait(false);
                break;
            case ReceiveStatus.TooLarge:
                // RESOURCE_EXHAUSTED without RetryInfo: the OTLP client must not retry it.
                await FinishAsync(http, RpcStatus.ResourceExhausted, outcome.Message, null).ConfigureAwait(false);
                break;
            case ReceiveStatus.Unavailable:
                await FinishAsync(http, RpcStatus.Unavailable, outcome.Message, outcome.RetryAfter).ConfigureAwait(false);
                break;
            case ReceiveStatus.Throttled:
                await FinishAsync(http, RpcStatus.ResourceExhausted, outcome.Message, outcome.RetryAfter ?? TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                break;
            case ReceiveStatus.Unauthenticated:
                await FinishAsync(http, RpcStatus.Unauthenticated, outcome.Message, null).ConfigureAwait(false);
                break;
            case ReceiveStatus.DeadlineExceeded:
                await FinishAsync(http, RpcStatus.DeadlineExceeded, outcome.Message, null).ConfigureAwait(false);
                break;
            case ReceiveStatus.Cancelled:
                await FinishAsync(http, RpcStatus.Cancelled, outcome.Message, null).ConfigureAwait(false);
                break;
            default:
                await FinishAsync(http, RpcStatus.Internal, outcome.Message, null).ConfigureAwait(false);
                break;
        }
    }

    private async Task<ReceiveOutcome> ReceiveAsync(HttpContext http, Signal signal, PayloadCompression compression, CancellationTokenSource? deadline)
    {
        var cancellationToken = deadline?.Token ?? http.RequestAborted;
        var limit = ingest.Options.MaxRequestSize.Bytes;
        var origin = RequestOrigin.Of(http.Request, ingest.Options.TenantFrom);
        try
        {
            using var body = new IdleTimeoutStream(http.Request.Body, ingest.Options.BodyIdleTimeout, ingest.TimeProvider);
            var header = new byte[5];
            var got = await body.ReadAtLeastAsync(header, 5, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (got < 5)
            {
                return ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.InvalidArgument, "the request has no complete gRPC message"));
            }

            if (header[0] > 1)
            {
                return ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.InvalidArgument, $"the gRPC message's compressed flag must be 0 or 1, got {header[0]}"));
            }

            var compressed = header[0] == 1;
            var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
            if (length > limit)
            {
                return ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.TooLarge, new PayloadTooLargeException(limit).Message));
            }

            if (compressed && compression == PayloadCompression.None)
            {
                return ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.InvalidArgument, "the message is flagged compressed but grpc-encoding is identity"));
            }

            // The frame header's length is a claim, not bytes: the buffer grows (charged to the
            // memory budget) only as the message arrives.
            using var frame = ingest.NewBuffer();
            var fill = await frame.FillAsync(body, length, exact: true, length, cancellationToken).ConfigureAwait(false);
            if (fill == BufferFill.Truncated)
            {
                return ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.InvalidArgument, $"the gRPC message is truncated: {frame.Length} of {length} bytes"));
            }

            if (fill != BufferFill.Complete)
            {
                return ingest.Statistics.Count(RequestBodies.Refusal(fill, limit, ingest.Options.RetryAfter));
            }

            // Export is unary: a second message would be dropped while the client heard OK for it.
            if (await body.ReadAsync(header.AsMemory(0, 1), cancellationToken).ConfigureAwait(false) > 0)
            {
                return ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.InvalidArgument, "Export is a unary call: the request must hold exactly one message, and this one holds more"));
            }

            if (!compressed)
            {
                return await ingest.DecodeAndIngestAsync(signal, json: false, frame, "message", origin, cancellationToken).ConfigureAwait(false);
            }

            using var message = ingest.NewBuffer();
            var refused = await RequestBodies.DecompressAsync(frame, compression, limit, message, "message", ingest.Options.RetryAfter, cancellationToken).ConfigureAwait(false);
            if (refused is { } outcome)
            {
                return ingest.Statistics.Count(outcome);
            }

            frame.Dispose();
            return await ingest.DecodeAndIngestAsync(signal, json: false, message, "message", origin, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline is not null && deadline.IsCancellationRequested && !http.RequestAborted.IsCancellationRequested)
        {
            return ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.DeadlineExceeded, "the grpc-timeout passed before the whole message arrived"));
        }
        catch (BodyIdleException ex)
        {
            return ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.Unavailable, ex.Message, RetryAfter: ingest.Options.RetryAfter));
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or BadHttpRequestException)
        {
            // The client reset the stream or went away: the answer is for the record only.
            return ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.Cancelled, $"the request was cancelled: {ex.Message}"));
        }
    }

    private static Task FinishAsync(HttpContext http, int code, string? message, TimeSpan? retryAfter)
    {
        foreach (var (name, value) in StatusFields(code, message, retryAfter))
        {
            http.Response.AppendTrailer(name, value);
        }

        return Task.CompletedTask;
    }

    /// <summary>The fields that carry a gRPC status: its code, and for an error its message and google.rpc.Status.</summary>
    private static IEnumerable<(string Name, string Value)> StatusFields(int code, string? message, TimeSpan? retryAfter)
    {
        yield return ("grpc-status", code.ToString(CultureInfo.InvariantCulture));
        if (code != RpcStatus.Ok)
        {
            if (!string.IsNullOrEmpty(message))
            {
                yield return ("grpc-message", PercentEncode(message));
            }

            var details = RpcStatus.Create(code, message ?? string.Empty, retryAfter).ToByteArray();
            yield return ("grpc-status-details-bin", Convert.ToBase64String(details).TrimEnd('='));
        }
    }

    /// <summary>A token for the client's <c>grpc-timeout</c>, joined with the request's abort; null without one.</summary>
    private static CancellationTokenSource? Deadline(HttpContext http)
    {
        var text = http.Request.Headers["grpc-timeout"].ToString();
        if (text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            return null;
        }

        // In seconds, as a double: the protocol allows 8 digits of hours, which overflows TimeSpan.
        var seconds = text[^1] switch
        {
            'H' => amount * 3600.0,
            'M' => amount * 60.0,
            'S' => amount,
            'm' => amount / 1e3,
            'u' => amount / 1e6,
            'n' => amount / 1e9,
            _ => 0,
        };
        if (seconds <= 0)
        {
            return null;
        }

        // Past the longest deadline worth a timer, the client effectively has none.
        var timeout = seconds >= MaxDeadline.TotalSeconds ? MaxDeadline : TimeSpan.FromSeconds(seconds);

        var source = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        source.CancelAfter(timeout);
        return source;
    }

    /// <summary>The percent-encoding gRPC uses for <c>grpc-message</c>: everything outside printable ASCII and '%'.</summary>
    private static string PercentEncode(string message)
    {
        var builder = new StringBuilder(message.Length);
        foreach (var b in Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }
}
