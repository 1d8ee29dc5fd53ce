using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using OtlpFlow.Operators.Otlp.Protocol.Rpc;

namespace OtlpFlow.Operators.Otlp.Protocol;

/// <summary>gRPC status codes used by OTLP, and google.rpc.Status bodies carrying them.</summary>
internal static class RpcStatus
{
    public const int Ok = 0;
    public const int Cancelled = 1;
    public const int InvalidArgument = 3;
    public const int DeadlineExceeded = 4;
    public const int ResourceExhausted = 8;
    public const int Aborted = 10;
    public const int OutOfRange = 11;
    public const int Unimplemented = 12;
    public const int Internal = 13;
    public const int Unavailable = 14;
    public const int DataLoss = 15;
    public const int Unauthenticated = 16;

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithTypeRegistry(TypeRegistry.FromMessages(RetryInfo.Descriptor)));
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true).WithTypeRegistry(TypeRegistry.FromMessages(RetryInfo.Descriptor)));

    /// <summary>A status with an optional RetryInfo detail.</summary>
    public static Status Create(int code, string message, TimeSpan? retryAfter)
    {
        var status = new Status { Code = code, Message = message };
        if (retryAfter is { } delay)
        {
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(delay) }));
        }

        return status;
    }

    /// <summary>The RetryInfo delay in a status, when it has one.</summary>
    public static TimeSpan? RetryDelay(Status status)
    {
        foreach (var detail in status.Details)
        {
            if (detail.TryUnpack<RetryInfo>(out var info) && info.RetryDelay is { } delay)
            {
                return delay.ToTimeSpan();
            }
        }

        return null;
    }

    /// <summary>Status as JSON (for OTLP/HTTP JSON error bodies).</summary>
    public static string FormatJson(Status status) => Formatter.Format(status);

    /// <summary>Parses a status from JSON.</summary>
    public static Status ParseJson(string json) => Parser.Parse<Status>(json);

    /// <summary>True for the gRPC codes the OTLP specification calls retryable.</summary>
    public static bool IsRetryable(int code, bool hasRetryInfo) => code switch
    {
        Cancelled or DeadlineExceeded or Aborted or OutOfRange or Unavailable or DataLoss => true,
        ResourceExhausted => hasRetryInfo,
        _ => false,
    };

    /// <summary>True for the HTTP status codes the OTLP specification calls retryable.</summary>
    public static bool IsRetryableHttp(int status) => status is 429 or 502 or 503 or 504;
}
