using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Engine.Tests.Conditions;

internal static class ConditionTestData
{
    public const string TraceIdHex = "4bf92f3577b34da6a3ce929d0e0e4736";
    public const string SpanIdHex = "00f067aa0ba902b7";

    public static KeyValue Attribute(string key, object value) => new()
    {
        Key = key,
        Value = value switch
        {
            string s => new AnyValue { StringValue = s },
            long l => new AnyValue { IntValue = l },
            int i => new AnyValue { IntValue = i },
            double d => new AnyValue { DoubleValue = d },
            bool b => new AnyValue { BoolValue = b },
            AnyValue a => a,
            _ => throw new ArgumentException("unsupported", nameof(value)),
        },
    };

    public static Resource MakeResource(string service = "checkout", params KeyValue[] more)
    {
        var resource = new Resource();
        resource.Attributes.Add(Attribute("service.name", service));
        resource.Attributes.Add(more);
        return resource;
    }

    public static InstrumentationScope MakeScope(string name = "io.opentelemetry.http", string version = "1.2.0") => new() { Name = name, Version = version };

    public static Span MakeSpan(
        string name = "GET /orders",
        Span.Types.SpanKind kind = Span.Types.SpanKind.Server,
        Status.Types.StatusCode status = Status.Types.StatusCode.Unset,
        TimeSpan? duration = null,
        params KeyValue[] attributes)
    {
        const ulong start = 1_700_000_000_000_000_000;
        var span = new Span
        {
            Name = name,
            Kind = kind,
            TraceId = ByteString.CopyFrom(Convert.FromHexString(TraceIdHex)),
            SpanId = ByteString.CopyFrom(Convert.FromHexString(SpanIdHex)),
            StartTimeUnixNano = start,
            EndTimeUnixNano = start + (ulong)((duration ?? TimeSpan.FromMilliseconds(20)).Ticks * 100),
            Status = new Status { Code = status, Message = status == Status.Types.StatusCode.Error ? "boom" : string.Empty },
        };
        span.Attributes.Add(attributes);
        return span;
    }

    public static LogRecord MakeLog(SeverityNumber severity = SeverityNumber.Info, string body = "order placed", params KeyValue[] attributes)
    {
        var log = new LogRecord
        {
            SeverityNumber = severity,
            SeverityText = severity == SeverityNumber.Unspecified ? string.Empty : severity.ToString().ToUpperInvariant(),
            Body = new AnyValue { StringValue = body },
        };
        log.Attributes.Add(attributes);
        return log;
    }
}
