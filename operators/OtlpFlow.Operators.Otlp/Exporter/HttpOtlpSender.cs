using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Google.Protobuf;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Otlp.Protocol;
using RpcStatusMessage = OtlpFlow.Operators.Otlp.Protocol.Rpc.Status;

namespace OtlpFlow.Operators.Otlp.Exporter;

/// <summary>Sends OTLP/HTTP with protobuf or JSON bodies.</summary>
internal sealed class HttpOtlpSender : IOtlpSender
{
    private readonly HttpClient _client;
    private readonly OtlpExporterOptions _options;
    private readonly bool _json;
    private readonly PayloadCompression _compression;
    private readonly TimeProvider _timeProvider;

    public HttpOtlpSender(OtlpExporterOptions options, TimeProvider timeProvider)
    {
        _options = options;
        _json = options.Protocol == OtlpProtocol.HttpJson;
        _compression = options.Compression switch
        {
            OtlpCompression.Gzip => PayloadCompression.Gzip,
            OtlpCompression.Zstd => PayloadCompression.Zstd,
            _ => PayloadCompression.None,
        };
        _timeProvider = timeProvider;

        // The attempt timeout is a cancellation token per request; HttpClient's own would be a second clock.
        _client = new HttpClient(ExporterHandler.Create(options)) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    public Task<OtlpSendResult> SendAsync(Signal signal, IMessage request, CancellationToken cancellationToken) =>
        SendRawAsync(signal, _json ? Encoding.UTF8.GetBytes(OtlpJson.Format(request)) : request.ToByteArray(), cancellationToken);

    /// <summary>An encoded batch's bytes go out as they are (protobuf only: JSON needs the objects).</summary>
    public Task<OtlpSendResult> SendAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return !_json && batch.TryGetEncoded(out var encoded)
            ? SendRawAsync(batch.Signal, encoded.ToArray(), cancellationToken)
            : SendAsync(batch.Signal, batch.Payload, cancellationToken);
    }

    private async Task<OtlpSendResult> SendRawAsync(Signal signal, byte[] raw, CancellationToken cancellationToken)
    {
        var content = new ByteArrayContent(PayloadCodec.Compress(raw, _compression));
        content.Headers.ContentType = new MediaTypeHeaderValue(_json ? "application/json" : "application/x-protobuf");
        if (_compression != PayloadCompression.None)
        {
            content.Headers.ContentEncoding.Add(PayloadCodec.Name(_compression));
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, Url(signal)) { Content = content };
        foreach (var (key, value) in _options.Headers)
        {
            message.Headers.TryAddWithoutValidation(key, value);
        }

        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            // Connection refused, reset or DNS failure: the peer may be back soon.
            return OtlpSendResult.Failure(true, ex.Message);
        }

        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            var json = response.Content.Headers.ContentType?.MediaType == "application/json";
            if (response.IsSuccessStatusCode)
            {
                try
                {
                    var (rejected, text) = OtlpMessages.ReadPartialSuccess(signal, body, json);
                    return rejected > 0 || text is not null ? OtlpSendResult.Partial(rejected, text) : OtlpSendResult.Success;
                }
                catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException)
                {
                    // The data was accepted; an unreadable response body only loses the partial-success detail.
                    return OtlpSendResult.Success;
                }
            }

            var status = (int)response.StatusCode;
            if (status == 400)
            {
                return OtlpSendResult.Invalid($"HTTP 400: {ErrorMessage(body, json)}");
            }

            return OtlpSendResult.Failure(RpcStatus.IsRetryableHttp(status), $"HTTP {status}: {ErrorMessage(body, json)}", RetryAfter(response));
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    private Uri Url(Signal signal) => new(_options.Endpoint.TrimEnd('/') + OtlpMessages.HttpPath(signal));

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } header)
        {
            return null;
        }

        if (header.Delta is { } delta)
        {
            return delta;
        }

        return header.Date is { } date ? TimeSpan.FromTicks(Math.Max(0, (date - _timeProvider.GetUtcNow()).Ticks)) : null;
    }

    private static string ErrorMessage(byte[] body, bool json)
    {
        if (body.Length == 0)
        {
            return "no details";
        }

        try
        {
            var status = json ? RpcStatus.ParseJson(Encoding.UTF8.GetString(body)) : RpcStatusMessage.Parser.ParseFrom(body);
            if (!string.IsNullOrEmpty(status.Message))
            {
                return status.Message;
            }
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException)
        {
            // Not a google.rpc.Status: show the text as it is.
        }

        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 256));
        return text;
    }
}
