using System.Buffers;
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
    private readonly CallInvoker _invoker;

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
        _invoker = _channel.CreateCallInvoker();
    }

    /// <summary>
    /// When set, each batch is sent with the header <see cref="LoadBalancing.HandedOff.AgeHeader"/>:
    /// how long ago (on this clock) the tier first received it. For senders within a tier.
    /// </summary>
    public TimeProvider? AgeClock { get; init; }

    public Task<OtlpSendResult> SendAsync(Signal signal, IMessage request, CancellationToken cancellationToken) =>
        SendAsync(signal, request, _headers, cancellationToken);

    private Task<OtlpSendResult> SendAsync(Signal signal, IMessage request, Metadata headers, CancellationToken cancellationToken) =>
        CallAsync(headers, async options => request switch
        {
            ExportTraceServiceRequest t => Result((await _traces.ExportAsync(t, options).ConfigureAwait(false)).PartialSuccess is { } p ? (p.RejectedSpans, p.ErrorMessage) : (0, null)),
            ExportMetricsServiceRequest m => Result((await _metrics.ExportAsync(m, options).ConfigureAwait(false)).PartialSuccess is { } p ? (p.RejectedDataPoints, p.ErrorMessage) : (0, null)),
            ExportLogsServiceRequest l => Result((await _logs.ExportAsync(l, options).ConfigureAwait(false)).PartialSuccess is { } p ? (p.RejectedLogRecords, p.ErrorMessage) : (0, null)),
            _ => OtlpSendResult.Failure(false, $"'{request.Descriptor.Name}' is not an OTLP export request"),
        }, cancellationToken);

    /// <summary>An encoded batch's bytes go out as the call's message as they are: no objects are built.</summary>
    public Task<OtlpSendResult> SendAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var headers = HeadersFor(batch);
        if (!batch.TryGetEncoded(out var encoded))
        {
            return SendAsync(batch.Signal, batch.Payload, headers, cancellationToken);
        }

        return CallAsync(headers, async options => batch.Signal switch
        {
            Signal.Traces => Result((await _invoker.AsyncUnaryCall(RawTraces, null, options, new EncodedRequest(encoded)).ConfigureAwait(false)).PartialSuccess is { } p ? (p.RejectedSpans, p.ErrorMessage) : (0, null)),
            Signal.Metrics => Result((await _invoker.AsyncUnaryCall(RawMetrics, null, options, new EncodedRequest(encoded)).ConfigureAwait(false)).PartialSuccess is { } p ? (p.RejectedDataPoints, p.ErrorMessage) : (0, null)),
            _ => Result((await _invoker.AsyncUnaryCall(RawLogs, null, options, new EncodedRequest(encoded)).ConfigureAwait(false)).PartialSuccess is { } p ? (p.RejectedLogRecords, p.ErrorMessage) : (0, null)),
        }, cancellationToken);
    }

    /// <summary>The call's headers: the configured ones, and with <see cref="AgeClock"/> the batch's age in the tier.</summary>
    private Metadata HeadersFor(TelemetryBatch batch)
    {
        if (AgeClock is not { } clock || batch.Context.ReceivedAt == DateTimeOffset.UnixEpoch)
        {
            return _headers;
        }

        var age = clock.GetUtcNow() - batch.Context.ReceivedAt + (batch.Context.Get<Sampling.ArrivedEarlier>()?.Age ?? TimeSpan.Zero);
        if (age <= TimeSpan.Zero)
        {
            return _headers;
        }

        var headers = new Metadata();
        foreach (var entry in _headers)
        {
            headers.Add(entry);
        }

        headers.Add(LoadBalancing.HandedOff.AgeHeader, ((long)age.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
        return headers;
    }

    private async Task<OtlpSendResult> CallAsync(Metadata headers, Func<CallOptions, Task<OtlpSendResult>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call(new CallOptions(headers, cancellationToken: cancellationToken)).ConfigureAwait(false);
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

    /// <summary>The OTLP Export methods with the request as encoded bytes, written to the call as they are.</summary>
    private static readonly Method<EncodedRequest, ExportTraceServiceResponse> RawTraces = Raw("opentelemetry.proto.collector.trace.v1.TraceService", ExportTraceServiceResponse.Parser);

    private static readonly Method<EncodedRequest, ExportMetricsServiceResponse> RawMetrics = Raw("opentelemetry.proto.collector.metrics.v1.MetricsService", ExportMetricsServiceResponse.Parser);

    private static readonly Method<EncodedRequest, ExportLogsServiceResponse> RawLogs = Raw("opentelemetry.proto.collector.logs.v1.LogsService", ExportLogsServiceResponse.Parser);

    private static Method<EncodedRequest, TResponse> Raw<TResponse>(string service, MessageParser<TResponse> parser)
        where TResponse : IMessage<TResponse>
    {
        var request = new Marshaller<EncodedRequest>(
            static (request, context) =>
            {
                context.SetPayloadLength(checked((int)request.Bytes.Length));
                var writer = context.GetBufferWriter();
                foreach (var segment in request.Bytes)
                {
                    writer.Write(segment.Span);
                }

                context.Complete();
            },
            static context => new EncodedRequest(context.PayloadAsReadOnlySequence()));
        var response = new Marshaller<TResponse>(
            static (message, context) => context.Complete(message.ToByteArray()),
            context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));
        return new Method<EncodedRequest, TResponse>(MethodType.Unary, service, "Export", request, response);
    }

    private static OtlpSendResult Result((long Rejected, string? Message) partial) =>
        partial.Rejected > 0 || !string.IsNullOrEmpty(partial.Message) ? OtlpSendResult.Partial(partial.Rejected, partial.Message) : OtlpSendResult.Success;

    /// <summary>A request's encoding, as the message of a raw call (gRPC messages are reference types).</summary>
    private sealed record EncodedRequest(ReadOnlySequence<byte> Bytes);
}
