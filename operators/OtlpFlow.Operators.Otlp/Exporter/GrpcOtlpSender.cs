using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Compression;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Otlp.Protocol;
using RpcStatusMessage = OtlpFlow.Operators.Otlp.Protocol.Rpc.Status;

namespace OtlpFlow.Operators.Otlp.Exporter;

/// <summary>Sends OTLP/gRPC with Grpc.Net.Client.</summary>
internal sealed class GrpcOtlpSender : IOtlpSender
{
    private readonly GrpcChannel _channel;
    private readonly Metadata _headers;
    private readonly TraceService.TraceServiceClient _traces;
    private readonly MetricsService.MetricsServiceClient _metrics;
    private readonly LogsService.LogsServiceClient _logs;

    public GrpcOtlpSender(OtlpExporterOptions options)
    {
        _channel = GrpcChannel.ForAddress(options.Endpoint, new GrpcChannelOptions
        {
            CompressionProviders = [new GzipCompressionProvider(System.IO.Compression.CompressionLevel.Fastest), new ZstdGrpcCompressionProvider()],
            MaxReceiveMessageSize = 4 * 1024 * 1024,
            MaxSendMessageSize = null,
            MaxRetryAttempts = 0,
            HttpHandler = ExporterHandler.Create(options),
            DisposeHttpClient = true,
        });
        _headers = [];
        foreach (var (key, value) in options.Headers)
        {
            _headers.Add(key.ToLowerInvariant(), value);
        }

        if (options.Compression != OtlpCompression.None)
        {
            // Grpc.Net.Client's documented way to choose the request compression.
            _headers.Add("grpc-internal-encoding-request", options.Compression == OtlpCompression.Gzip ? "gzip" : "zstd");
        }

        _traces = new TraceService.TraceServiceClient(_channel);
        _metrics = new MetricsService.MetricsServiceClient(_channel);
        _logs = new LogsService.LogsServiceClient(_channel);
    }

    public async Task<OtlpSendResult> SendAsync(Signal signal, IMessage request, CancellationToken cancellationToken)
    {
        try
        {
            var options = new CallOptions(_headers, cancellationToken: cancellationToken);
            return request switch
            {
                ExportTraceServiceRequest t => Result((await _traces.ExportAsync(t, options).ConfigureAwait(false)).PartialSuccess is { } p ? (p.RejectedSpans, p.ErrorMessage) : (0, null)),
                ExportMetricsServiceRequest m => Result((await _metrics.ExportAsync(m, options).ConfigureAwait(false)).PartialSuccess is { } p ? (p.RejectedDataPoints, p.ErrorMessage) : (0, null)),
                ExportLogsServiceRequest l => Result((await _logs.ExportAsync(l, options).ConfigureAwait(false)).PartialSuccess is { } p ? (p.RejectedLogRecords, p.ErrorMessage) : (0, null)),
                _ => OtlpSendResult.Failure(false, $"'{request.Descriptor.Name}' is not an OTLP export request"),
            };
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested || ex.StatusCode != StatusCode.Cancelled)
        {
            TimeSpan? retryAfter = null;
            var details = ex.Trailers.GetValueBytes("grpc-status-details-bin");
            if (details is not null)
            {
                try
                {
                    retryAfter = RpcStatus.RetryDelay(RpcStatusMessage.Parser.ParseFrom(details));
                }
                catch (InvalidProtocolBufferException)
                {
                    // Details are optional; an unreadable one only loses the retry hint.
                }
            }

            var code = (int)ex.StatusCode;
            if (ex.StatusCode == StatusCode.InvalidArgument)
            {
                return OtlpSendResult.Invalid($"{ex.StatusCode}: {ex.Status.Detail}");
            }

            // A status the client made from a broken connection or a reset stream (it carries the
            // exception) was never sent by the peer: whether the data arrived is unknown, so the
            // call is retried, as a refused connection is. Only a status the peer sent is final.
            var retryable = ex.Status.DebugException is not null || RpcStatus.IsRetryable(code, retryAfter is not null);
            return OtlpSendResult.Failure(retryable, $"{ex.StatusCode}: {ex.Status.Detail}", retryAfter);
        }
    }

    public ValueTask DisposeAsync()
    {
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }

    private static OtlpSendResult Result((long Rejected, string? Message) partial) =>
        partial.Rejected > 0 || !string.IsNullOrEmpty(partial.Message) ? OtlpSendResult.Partial(partial.Rejected, partial.Message) : OtlpSendResult.Success;
}
