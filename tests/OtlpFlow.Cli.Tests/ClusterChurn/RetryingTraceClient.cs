using System.Collections.Concurrent;
using System.Diagnostics;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtlpFlow.Cli.Tests.ClusterChurn;

/// <summary>
/// An OTLP/gRPC trace exporter that retries as the OTLP specification says: a retryable status
/// (UNAVAILABLE, CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, DATA_LOSS, and
/// RESOURCE_EXHAUSTED only when it carries RetryInfo) is retried after the server's RetryInfo
/// delay, else after an exponential backoff with jitter (the OpenTelemetry .NET SDK's numbers:
/// from 1 s, times 1.5, at most 5 s), until a deadline from the first attempt.
/// </summary>
/// <remarks>
/// Not the OpenTelemetry .NET SDK's <c>OtlpTraceExporter</c>: its <c>Export</c> is synchronous (a
/// thread blocked per export) and takes <c>Activity</c> objects whose span ids the SDK makes up.
/// With <c>"ack": "delivered"</c> in front of a tail sampler every request is answered after the
/// decision (about 2 s), so the scenario keeps thousands of requests in flight: a thread each is
/// not possible on a two-core machine, and the report needs to know which spans each request held.
/// </remarks>
internal sealed class RetryingTraceClient(GrpcChannel channel, TimeSpan attemptTimeout, TimeSpan deadline, ConcurrentDictionary<string, long> failedAttempts) : IDisposable
{
    private static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    private const double BackoffMultiplier = 1.5;

    // Requests go out as the bytes encoded once when the trace was made: a retry costs no encoding.
    private static readonly Method<byte[], byte[]> Export = new(
        MethodType.Unary, "opentelemetry.proto.collector.trace.v1.TraceService", "Export",
        Marshallers.Create(static b => b, static b => b), Marshallers.Create(static b => b, static b => b));

    private readonly CallInvoker _invoker = channel.CreateCallInvoker();

    /// <summary>A channel to <paramref name="endpoint"/> that opens more HTTP/2 connections when one has its 100 streams in use.</summary>
    public static GrpcChannel Channel(string endpoint) => GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
        MaxRetryAttempts = 0,
    });

    /// <summary>Exports <paramref name="request"/> (an encoded ExportTraceServiceRequest), retrying until it succeeds or the deadline passes; never throws for an RPC failure.</summary>
    public async Task<ExportOutcome> ExportAsync(byte[] request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var backoff = InitialBackoff;
        var attempts = 0;
        var timeouts = 0;
        string? lastError = null;
        while (true)
        {
            var remaining = deadline - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                return new ExportOutcome(false, Stopwatch.GetElapsedTime(started), attempts, timeouts, lastError ?? "deadline passed");
            }

            attempts++;
            var attemptDeadline = DateTime.UtcNow + (remaining < attemptTimeout ? remaining : attemptTimeout);
            TimeSpan? retryAfter;
            try
            {
                var response = ExportTraceServiceResponse.Parser.ParseFrom(
                    await _invoker.AsyncUnaryCall(Export, null, new CallOptions(deadline: attemptDeadline, cancellationToken: cancellationToken), request));
                if (response.PartialSuccess is { RejectedSpans: > 0 } partial)
                {
                    // Rejected spans are not retried (the specification): the request is answered, part of it refused.
                    return new ExportOutcome(true, Stopwatch.GetElapsedTime(started), attempts, timeouts, $"partial success: {partial.RejectedSpans} rejected: {partial.ErrorMessage}");
                }

                return new ExportOutcome(true, Stopwatch.GetElapsedTime(started), attempts, timeouts, null);
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                lastError = $"{ex.StatusCode}: {ex.Status.Detail}";
                failedAttempts.AddOrUpdate(ex.StatusCode.ToString(), 1, (_, n) => n + 1);
                if (ex.StatusCode == StatusCode.DeadlineExceeded)
                {
                    timeouts++;
                }

                var retryInfo = RetryDelay(ex);
                var retryable = ex.StatusCode is StatusCode.Unavailable or StatusCode.Cancelled or StatusCode.DeadlineExceeded
                        or StatusCode.Aborted or StatusCode.OutOfRange or StatusCode.DataLoss
                    || (ex.StatusCode == StatusCode.ResourceExhausted && retryInfo is not null);
                if (!retryable)
                {
                    return new ExportOutcome(false, Stopwatch.GetElapsedTime(started), attempts, timeouts, "not retryable: " + lastError);
                }

                retryAfter = retryInfo;
            }

            TimeSpan wait;
            if (retryAfter is { } delay)
            {
                wait = delay;
            }
            else
            {
                wait = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * backoff.TotalMilliseconds);
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * BackoffMultiplier, MaxBackoff.TotalMilliseconds));
            }

            if (Stopwatch.GetElapsedTime(started) + wait >= deadline)
            {
                return new ExportOutcome(false, Stopwatch.GetElapsedTime(started), attempts, timeouts, lastError);
            }

            // The retry delay is the protocol's, not a wait for a condition.
            await Task.Delay(wait, cancellationToken);
        }
    }

    /// <summary>The delay of the google.rpc.RetryInfo in the status details, if any.</summary>
    internal static TimeSpan? RetryDelay(RpcException exception)
    {
        if (exception.Trailers.GetValueBytes("grpc-status-details-bin") is not { } details)
        {
            return null;
        }

        try
        {
            // google.rpc.Status: code = 1, message = 2, repeated google.protobuf.Any details = 3.
            var input = new CodedInputStream(details);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                if (WireFormat.GetTagFieldNumber(tag) == 3 && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                {
                    var any = Any.Parser.ParseFrom(input.ReadBytes());
                    if (any.TypeUrl.EndsWith("/google.rpc.RetryInfo", StringComparison.Ordinal))
                    {
                        return RetryInfoDelay(any.Value);
                    }
                }
                else
                {
                    input.SkipLastField();
                }
            }
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }

        return null;
    }

    public void Dispose() => channel.Dispose();

    /// <summary>google.rpc.RetryInfo: google.protobuf.Duration retry_delay = 1.</summary>
    private static TimeSpan RetryInfoDelay(ByteString retryInfo)
    {
        var input = new CodedInputStream(retryInfo.ToByteArray());
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1 && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                return Duration.Parser.ParseFrom(input.ReadBytes()).ToTimeSpan();
            }

            input.SkipLastField();
        }

        return TimeSpan.Zero;
    }
}
