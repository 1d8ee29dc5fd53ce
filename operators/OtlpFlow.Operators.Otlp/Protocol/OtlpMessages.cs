using System.Text;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Otlp.Protocol;

/// <summary>The OTLP wire contract per signal: paths, gRPC methods, request parsing and responses.</summary>
internal static class OtlpMessages
{
    public const string TracesGrpcPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    public const string MetricsGrpcPath = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    public const string LogsGrpcPath = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

    private static readonly JsonFormatter ResponseFormatter = new(JsonFormatter.Settings.Default);
    private static readonly JsonParser ResponseParser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>The signal served at an OTLP/HTTP path (<c>/v1/traces</c> ...).</summary>
    public static Signal? SignalOfHttpPath(string? path) => path switch
    {
        "/v1/traces" => Signal.Traces,
        "/v1/metrics" => Signal.Metrics,
        "/v1/logs" => Signal.Logs,
        _ => null,
    };

    /// <summary>The signal of a gRPC method path.</summary>
    public static Signal? SignalOfGrpcPath(string? path) => path switch
    {
        TracesGrpcPath => Signal.Traces,
        MetricsGrpcPath => Signal.Metrics,
        LogsGrpcPath => Signal.Logs,
        _ => null,
    };

    /// <summary>The OTLP/HTTP path of a signal.</summary>
    public static string HttpPath(Signal signal) => signal switch
    {
        Signal.Traces => "/v1/traces",
        Signal.Metrics => "/v1/metrics",
        _ => "/v1/logs",
    };

    /// <summary>The gRPC method path of a signal.</summary>
    public static string GrpcPath(Signal signal) => signal switch
    {
        Signal.Traces => TracesGrpcPath,
        Signal.Metrics => MetricsGrpcPath,
        _ => LogsGrpcPath,
    };

    /// <summary>Parses a binary export request of a signal.</summary>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not a valid request.</exception>
    public static IMessage ParseProtobuf(Signal signal, System.Buffers.ReadOnlySequence<byte> body) => signal switch
    {
        Signal.Traces => ExportTraceServiceRequest.Parser.ParseFrom(body),
        Signal.Metrics => ExportMetricsServiceRequest.Parser.ParseFrom(body),
        _ => ExportLogsServiceRequest.Parser.ParseFrom(body),
    };

    /// <summary>Parses an OTLP/JSON export request of a signal.</summary>
    /// <exception cref="OtlpJsonException">The text is not valid OTLP/JSON for the signal.</exception>
    public static IMessage ParseJson(Signal signal, System.Buffers.ReadOnlySequence<byte> body)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(in body);
        }
        catch (DecoderFallbackException ex)
        {
            throw new OtlpJsonException("the body is not valid UTF-8", ex);
        }

        return signal switch
        {
            Signal.Traces => OtlpJson.Parse<ExportTraceServiceRequest>(text),
            Signal.Metrics => OtlpJson.Parse<ExportMetricsServiceRequest>(text),
            _ => OtlpJson.Parse<ExportLogsServiceRequest>(text),
        };
    }

    /// <summary>The export response of a signal: empty, or with a partial success.</summary>
    public static IMessage Response(Signal signal, long rejected = 0, string? message = null)
    {
        var partial = rejected > 0 || !string.IsNullOrEmpty(message);
        switch (signal)
        {
            case Signal.Traces:
                var traces = new ExportTraceServiceResponse();
                if (partial)
                {
                    traces.PartialSuccess = new ExportTracePartialSuccess { RejectedSpans = rejected, ErrorMessage = message ?? string.Empty };
                }

                return traces;
            case Signal.Metrics:
                var metrics = new ExportMetricsServiceResponse();
                if (partial)
                {
                    metrics.PartialSuccess = new ExportMetricsPartialSuccess { RejectedDataPoints = rejected, ErrorMessage = message ?? string.Empty };
                }

                return metrics;
            default:
                var logs = new ExportLogsServiceResponse();
                if (partial)
                {
                    logs.PartialSuccess = new ExportLogsPartialSuccess { RejectedLogRecords = rejected, ErrorMessage = message ?? string.Empty };
                }

                return logs;
        }
    }

    /// <summary>Formats a response (or any small message) as JSON.</summary>
    public static string FormatJson(IMessage message) => ResponseFormatter.Format(message);

    /// <summary>Reads the rejected count and message of an export response, in protobuf or JSON.</summary>
    public static (long Rejected, string? Message) ReadPartialSuccess(Signal signal, byte[] body, bool json)
    {
        if (body.Length == 0)
        {
            return (0, null);
        }

        switch (signal)
        {
            case Signal.Traces:
                var t = json ? ResponseParser.Parse<ExportTraceServiceResponse>(Encoding.UTF8.GetString(body)) : ExportTraceServiceResponse.Parser.ParseFrom(body);
                return t.PartialSuccess is { } tp ? (tp.RejectedSpans, NullIfEmpty(tp.ErrorMessage)) : (0, null);
            case Signal.Metrics:
                var m = json ? ResponseParser.Parse<ExportMetricsServiceResponse>(Encoding.UTF8.GetString(body)) : ExportMetricsServiceResponse.Parser.ParseFrom(body);
                return m.PartialSuccess is { } mp ? (mp.RejectedDataPoints, NullIfEmpty(mp.ErrorMessage)) : (0, null);
            default:
                var l = json ? ResponseParser.Parse<ExportLogsServiceResponse>(Encoding.UTF8.GetString(body)) : ExportLogsServiceResponse.Parser.ParseFrom(body);
                return l.PartialSuccess is { } lp ? (lp.RejectedLogRecords, NullIfEmpty(lp.ErrorMessage)) : (0, null);
        }
    }

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;
}
