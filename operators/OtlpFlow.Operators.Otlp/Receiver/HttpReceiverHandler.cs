using System.Globalization;
using System.Text;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Otlp.Protocol;

namespace OtlpFlow.Operators.Otlp.Receiver;

/// <summary>
/// OTLP/HTTP: POST <c>/v1/traces</c>, <c>/v1/metrics</c>, <c>/v1/logs</c> with
/// <c>application/x-protobuf</c> or <c>application/json</c> bodies, compressed with gzip, deflate or
/// zstd or not at all. Responses use the request's encoding; errors carry a google.rpc.Status.
/// </summary>
internal sealed class HttpReceiverHandler(ReceiverIngest ingest)
{
    private const string Protobuf = "application/x-protobuf";
    private const string Json = "application/json";

    public async Task HandleAsync(HttpContext http)
    {
        try
        {
            await AnswerAsync(http).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Every failure is answered with a google.rpc.Status body, never a bare 500.
        catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested)
#pragma warning restore CA1031
        {
            // A failure while answering (draining the body, writing the answer): logged in full, and
            // answered with a body when nothing was sent yet.
            ingest.LogUnexpected(ex);
            if (!http.Response.HasStarted)
            {
                http.Response.Clear();
                await WriteErrorAsync(http, MediaType(http.Request) == Json, StatusCodes.Status500InternalServerError, RpcStatus.Internal, "the request could not be answered", null).ConfigureAwait(false);
            }
        }
    }

    private async Task AnswerAsync(HttpContext http)
    {
        var signal = OtlpMessages.SignalOfHttpPath(http.Request.Path.Value);
        if (signal is null)
        {
            await WritePlainErrorAsync(http, StatusCodes.Status404NotFound, "not found: OTLP/HTTP serves /v1/traces, /v1/metrics and /v1/logs").ConfigureAwait(false);
            return;
        }

        if (!HttpMethods.IsPost(http.Request.Method))
        {
            http.Response.Headers.Allow = "POST";
            await WritePlainErrorAsync(http, StatusCodes.Status405MethodNotAllowed, $"method {http.Request.Method} is not allowed: use POST").ConfigureAwait(false);
            return;
        }

        if (!ingest.IsAuthorized(http.Request.Headers.Authorization.ToString()))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.Unauthenticated));
            await WriteErrorAsync(http, json: false, StatusCodes.Status401Unauthorized, RpcStatus.Unauthenticated, "missing or wrong bearer token", null).ConfigureAwait(false);
            return;
        }

        var mediaType = MediaType(http.Request);
        var json = mediaType == Json;
        if (!json && mediaType != Protobuf)
        {
            await WritePlainErrorAsync(http, StatusCodes.Status415UnsupportedMediaType,
                $"unsupported content type '{http.Request.ContentType}': use {Protobuf} or {Json}").ConfigureAwait(false);
            return;
        }

        if (!PayloadCodec.TryParse(http.Request.Headers.ContentEncoding.ToString(), out var compression))
        {
            await WriteErrorAsync(http, json, StatusCodes.Status415UnsupportedMediaType, RpcStatus.Unimplemented,
                $"unsupported content encoding '{http.Request.Headers.ContentEncoding}': use gzip, deflate, zstd or none", null).ConfigureAwait(false);
            return;
        }

        var limit = ingest.Options.MaxRequestSize.Bytes;
        ReceiveOutcome outcome;
        try
        {
            outcome = await ReceiveAsync(http, signal.Value, json, compression, limit).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Every failure is answered with a google.rpc.Status body, never a bare 500.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // A failure of the receiver itself: logged in full, answered in short.
            ingest.LogUnexpected(ex);
            outcome = ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.Internal, "the request could not be processed"));
        }

        if (outcome.Status != ReceiveStatus.Ok)
        {
            await RequestBodies.DrainAsync(http.Request.Body, limit, ingest.Options.BodyIdleTimeout, ingest.TimeProvider, http.RequestAborted).ConfigureAwait(false);
        }

        await WriteOutcomeAsync(http, signal.Value, json, outcome).ConfigureAwait(false);
    }

    /// <summary>The request's media type in lower case, without parameters; null when it has none or it does not parse.</summary>
    private static string? MediaType(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var parsed) ? parsed.MediaType.Value?.ToLowerInvariant() : null;

    private async Task<ReceiveOutcome> ReceiveAsync(HttpContext http, Signal signal, bool json, PayloadCompression compression, long limit)
    {
        if (compression == PayloadCompression.None && http.Request.ContentLength > limit)
        {
            return ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.TooLarge, new PayloadTooLargeException(limit).Message));
        }

        var origin = RequestOrigin.Of(http.Request, ingest.Options.TenantFrom);
        try
        {
            // The body is read as it arrives, each growth of its buffer charged to the memory budget
            // first: nothing Content-Length claims is allocated ahead of the bytes.
            using var received = ingest.NewBuffer();
            using var body = new IdleTimeoutStream(http.Request.Body, ingest.Options.BodyIdleTimeout, ingest.TimeProvider);
            var fill = await received.FillAsync(body, limit, exact: false, http.Request.ContentLength ?? 0, http.RequestAborted).ConfigureAwait(false);
            if (fill != BufferFill.Complete)
            {
                return ingest.Statistics.Count(RequestBodies.Refusal(fill, limit, ingest.Options.RetryAfter));
            }

            if (compression == PayloadCompression.None)
            {
                return await ingest.DecodeAndIngestAsync(signal, json, received, "body", origin, http.RequestAborted).ConfigureAwait(false);
            }

            using var decompressed = ingest.NewBuffer();
            var outcome = await RequestBodies.DecompressAsync(received, compression, limit, decompressed, "body", ingest.Options.RetryAfter, http.RequestAborted).ConfigureAwait(false);
            if (outcome is { } refused)
            {
                return ingest.Statistics.Count(refused);
            }

            received.Dispose();
            return await ingest.DecodeAndIngestAsync(signal, json, decompressed, "body", origin, http.RequestAborted).ConfigureAwait(false);
        }
        catch (BodyIdleException ex)
        {
            return ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.Unavailable, ex.Message, RetryAfter: ingest.Options.RetryAfter));
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or BadHttpRequestException)
        {
            // The client went away (or broke the body off): nobody is left to answer.
            return ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.InvalidArgument, $"the request body could not be read: {ex.Message}"));
        }
    }

    private static Task WriteOutcomeAsync(HttpContext http, Signal signal, bool json, ReceiveOutcome outcome)
    {
        switch (outcome.Status)
        {
            case ReceiveStatus.Ok:
                var response = OtlpMessages.Response(signal, outcome.Rejected, outcome.Rejected > 0 ? outcome.Message : null);
                http.Response.StatusCode = StatusCodes.Status200OK;
                return WriteBodyAsync(http, json, response);
            case ReceiveStatus.InvalidArgument or ReceiveStatus.Rejected:
                return WriteErrorAsync(http, json, StatusCodes.Status400BadRequest, RpcStatus.InvalidArgument, outcome.Message, null);
            case ReceiveStatus.TooLarge:
                return WriteErrorAsync(http, json, StatusCodes.Status413PayloadTooLarge, RpcStatus.ResourceExhausted, outcome.Message, null);
            case ReceiveStatus.Unavailable:
                return WriteErrorAsync(http, json, StatusCodes.Status503ServiceUnavailable, RpcStatus.Unavailable, outcome.Message, outcome.RetryAfter);
            case ReceiveStatus.Throttled:
                return WriteErrorAsync(http, json, StatusCodes.Status429TooManyRequests, RpcStatus.ResourceExhausted, outcome.Message, outcome.RetryAfter);
            case ReceiveStatus.Unauthenticated:
                return WriteErrorAsync(http, json, StatusCodes.Status401Unauthorized, RpcStatus.Unauthenticated, outcome.Message, null);
            case ReceiveStatus.DeadlineExceeded or ReceiveStatus.Cancelled:
                return http.RequestAborted.IsCancellationRequested
                    ? Task.CompletedTask
                    : WriteErrorAsync(http, json, StatusCodes.Status400BadRequest, RpcStatus.InvalidArgument, outcome.Message, null);
            default:
                return WriteErrorAsync(http, json, StatusCodes.Status500InternalServerError, RpcStatus.Internal, outcome.Message, null);
        }
    }

    private static Task WriteErrorAsync(HttpContext http, bool json, int httpStatus, int rpcCode, string? message, TimeSpan? retryAfter)
    {
        http.Response.StatusCode = httpStatus;
        if (retryAfter is { } delay)
        {
            // Retry-After is whole seconds; rounding up never invites a retry before the server wants one.
            http.Response.Headers.RetryAfter = ((long)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return WriteBodyAsync(http, json, RpcStatus.Create(rpcCode, message ?? string.Empty, retryAfter));
    }

    private static async Task WriteBodyAsync(HttpContext http, bool json, IMessage message)
    {
        if (json)
        {
            var text = message is Protocol.Rpc.Status status ? RpcStatus.FormatJson(status) : OtlpMessages.FormatJson(message);
            var bytes = Encoding.UTF8.GetBytes(text);
            http.Response.ContentType = Json;
            http.Response.ContentLength = bytes.Length;
            await http.Response.Body.WriteAsync(bytes, http.RequestAborted).ConfigureAwait(false);
        }
        else
        {
            var bytes = message.ToByteArray();
            http.Response.ContentType = Protobuf;
            http.Response.ContentLength = bytes.Length;
            await http.Response.Body.WriteAsync(bytes, http.RequestAborted).ConfigureAwait(false);
        }
    }

    private Task WritePlainErrorAsync(HttpContext http, int httpStatus, string message)
    {
        ingest.Statistics.Count(new ReceiveOutcome(ReceiveStatus.InvalidArgument, message));

        // Before the content type is known, the error body is protobuf, the OTLP/HTTP default.
        return WriteErrorAsync(http, json: false, httpStatus, httpStatus == StatusCodes.Status404NotFound ? RpcStatus.Unimplemented : RpcStatus.InvalidArgument, message, null);
    }
}
