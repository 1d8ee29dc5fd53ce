using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Engine.Conditions;

/// <summary>Reads one field of an item; never allocates.</summary>
internal delegate ConditionValue FieldReader(in ItemView item);

/// <summary>What values a field holds, which decides the literals it may be compared with.</summary>
internal enum ConditionFieldType
{
    /// <summary>Text: compared with strings in quotes.</summary>
    String,

    /// <summary>An OTLP attribute value: a string, number or boolean.</summary>
    Any,

    /// <summary>A number.</summary>
    Number,

    /// <summary>A span's duration, compared with duration literals.</summary>
    Duration,

    /// <summary>A span kind, compared with SERVER, CLIENT, ...</summary>
    SpanKind,

    /// <summary>A span status code, compared with OK, ERROR, UNSET.</summary>
    StatusCode,

    /// <summary>A log severity number, compared with TRACE, DEBUG, INFO, ...</summary>
    Severity,

    /// <summary>A trace or span id, compared with hex strings.</summary>
    Hex,
}

/// <summary>A field of the condition language: its name, type and how to read it from an item.</summary>
internal sealed class ConditionField
{
    public const string ServiceNameKey = "service.name";

    private static readonly string[] MetricTypes = ["gauge", "sum", "histogram", "exponentialHistogram", "summary"];

    private ConditionField(string name, ConditionFieldType type, FieldReader read, IReadOnlyList<string>? allowedStrings = null)
    {
        Name = name;
        Type = type;
        Read = read;
        AllowedStrings = allowedStrings;
    }

    /// <summary>How the field is written in a condition (<c>status.code</c>, <c>attributes["http.method"]</c>).</summary>
    public string Name { get; }

    public ConditionFieldType Type { get; }

    public FieldReader Read { get; }

    /// <summary>For a field with a fixed set of string values (<c>metric.type</c>): those values.</summary>
    public IReadOnlyList<string>? AllowedStrings { get; }

    /// <summary>The words an enum field is compared with, and their numbers on the wire.</summary>
    public IReadOnlyDictionary<string, long>? Words => Type switch
    {
        ConditionFieldType.SpanKind => SpanKindWords,
        ConditionFieldType.StatusCode => StatusCodeWords,
        ConditionFieldType.Severity => SeverityWords,
        _ => null,
    };

    public static readonly IReadOnlyDictionary<string, long> SpanKindWords = new Dictionary<string, long>(StringComparer.Ordinal)
    {
        ["UNSPECIFIED"] = (long)Span.Types.SpanKind.Unspecified,
        ["INTERNAL"] = (long)Span.Types.SpanKind.Internal,
        ["SERVER"] = (long)Span.Types.SpanKind.Server,
        ["CLIENT"] = (long)Span.Types.SpanKind.Client,
        ["PRODUCER"] = (long)Span.Types.SpanKind.Producer,
        ["CONSUMER"] = (long)Span.Types.SpanKind.Consumer,
    };

    public static readonly IReadOnlyDictionary<string, long> StatusCodeWords = new Dictionary<string, long>(StringComparer.Ordinal)
    {
        ["UNSET"] = (long)Status.Types.StatusCode.Unset,
        ["OK"] = (long)Status.Types.StatusCode.Ok,
        ["ERROR"] = (long)Status.Types.StatusCode.Error,
    };

    // The first number of each severity range: INFO is 9, and INFO2..INFO4 (10..12) are above it.
    public static readonly IReadOnlyDictionary<string, long> SeverityWords = new Dictionary<string, long>(StringComparer.Ordinal)
    {
        ["TRACE"] = 1,
        ["DEBUG"] = 5,
        ["INFO"] = 9,
        ["WARN"] = 13,
        ["ERROR"] = 17,
        ["FATAL"] = 21,
    };

    /// <summary>The fields with fixed names, by name.</summary>
    public static readonly IReadOnlyDictionary<string, ConditionField> Fixed = new[]
    {
        new ConditionField("name", ConditionFieldType.String, ReadName),
        new ConditionField("kind", ConditionFieldType.SpanKind, (in ItemView i) =>
            i.Span is { } span ? ConditionValue.FromInt((long)span.Kind) : ConditionValue.Missing),
        new ConditionField("status.code", ConditionFieldType.StatusCode, (in ItemView i) =>
            i.Span is { } span ? ConditionValue.FromInt((long)(span.Status?.Code ?? Status.Types.StatusCode.Unset)) : ConditionValue.Missing),
        new ConditionField("status.message", ConditionFieldType.String, (in ItemView i) =>
            i.Span is { } span ? ConditionValue.FromString(span.Status?.Message ?? string.Empty) : ConditionValue.Missing),
        new ConditionField("duration", ConditionFieldType.Duration, ReadDuration),
        new ConditionField("service", ConditionFieldType.Any, (in ItemView i) => Lookup(i.Resource?.Attributes, ServiceNameKey)),
        new ConditionField("scope.name", ConditionFieldType.String, (in ItemView i) =>
            i.Scope is { } scope ? ConditionValue.FromString(scope.Name) : ConditionValue.Missing),
        new ConditionField("scope.version", ConditionFieldType.String, (in ItemView i) =>
            i.Scope is { } scope ? ConditionValue.FromString(scope.Version) : ConditionValue.Missing),
        new ConditionField("traceId", ConditionFieldType.Hex, (in ItemView i) =>
            i.Span is { } span ? ConditionValue.FromBytes(span.TraceId)
            : i.Log is { } log ? ConditionValue.FromBytes(log.TraceId)
            : ConditionValue.Missing),
        new ConditionField("spanId", ConditionFieldType.Hex, (in ItemView i) =>
            i.Span is { } span ? ConditionValue.FromBytes(span.SpanId)
            : i.Log is { } log ? ConditionValue.FromBytes(log.SpanId)
            : ConditionValue.Missing),
        new ConditionField("severity", ConditionFieldType.Severity, (in ItemView i) =>
            i.Log is { SeverityNumber: not 0 } log ? ConditionValue.FromInt((long)log.SeverityNumber) : ConditionValue.Missing),
        new ConditionField("severityText", ConditionFieldType.String, (in ItemView i) =>
            i.Log is { } log && log.SeverityText.Length > 0 ? ConditionValue.FromString(log.SeverityText) : ConditionValue.Missing),
        new ConditionField("body", ConditionFieldType.Any, (in ItemView i) =>
            i.Log is { } log ? ConditionValue.FromAnyValue(log.Body) : ConditionValue.Missing),
        new ConditionField("metric.type", ConditionFieldType.String, ReadMetricType, MetricTypes),
        new ConditionField("value", ConditionFieldType.Number, ReadPointValue),
    }.ToDictionary(f => f.Name, StringComparer.Ordinal);

    /// <summary>The keyed fields, written <c>resource["key"]</c>, <c>scope["key"]</c> and <c>attributes["key"]</c>.</summary>
    public static readonly IReadOnlyList<string> Keyed = ["resource", "attributes", "scope"];

    /// <summary><c>resource["key"]</c>: an attribute of the item's resource.</summary>
    public static ConditionField ResourceAttribute(string key) =>
        new($"resource[\"{key}\"]", ConditionFieldType.Any, (in ItemView i) => Lookup(i.Resource?.Attributes, key));

    /// <summary><c>scope["key"]</c>: an attribute of the item's instrumentation scope.</summary>
    public static ConditionField ScopeAttribute(string key) =>
        new($"scope[\"{key}\"]", ConditionFieldType.Any, (in ItemView i) => Lookup(i.Scope?.Attributes, key));

    /// <summary><c>attributes["key"]</c>: an attribute of the span, log record or data point.</summary>
    public static ConditionField ItemAttribute(string key) =>
        new($"attributes[\"{key}\"]", ConditionFieldType.Any, (in ItemView i) =>
            i.Span is { } span ? Lookup(span.Attributes, key)
            : i.Log is { } log ? Lookup(log.Attributes, key)
            : i.Metric is not null && !i.Point.IsEmpty ? Lookup(i.Point.Attributes, key)
            : ConditionValue.Missing);

    /// <summary>Finds an attribute by key. An index loop, because enumerating a RepeatedField allocates.</summary>
    public static ConditionValue Lookup(RepeatedField<KeyValue>? attributes, string key)
    {
        if (attributes is null)
        {
            return ConditionValue.Missing;
        }

        for (var n = 0; n < attributes.Count; n++)
        {
            var attribute = attributes[n];
            if (string.Equals(attribute.Key, key, StringComparison.Ordinal))
            {
                return ConditionValue.FromAnyValue(attribute.Value);
            }
        }

        return ConditionValue.Missing;
    }

    private static ConditionValue ReadName(in ItemView i)
    {
        if (i.Span is { } span)
        {
            return ConditionValue.FromString(span.Name);
        }

        if (i.Log is { } log)
        {
            // Most log records are not events: an empty event name means "none".
            return log.EventName.Length > 0 ? ConditionValue.FromString(log.EventName) : ConditionValue.Missing;
        }

        return i.Metric is { } metric ? ConditionValue.FromString(metric.Name) : ConditionValue.Missing;
    }

    private static ConditionValue ReadDuration(in ItemView i)
    {
        // An unset or inverted time range has no meaningful duration.
        if (i.Span is not { } span || span.StartTimeUnixNano == 0 || span.EndTimeUnixNano < span.StartTimeUnixNano)
        {
            return ConditionValue.Missing;
        }

        var nanoseconds = span.EndTimeUnixNano - span.StartTimeUnixNano;
        return ConditionValue.FromInt(nanoseconds > long.MaxValue ? long.MaxValue : (long)nanoseconds);
    }

    private static ConditionValue ReadMetricType(in ItemView i) => i.Metric?.DataCase switch
    {
        Metric.DataOneofCase.Gauge => ConditionValue.FromString(MetricTypes[0]),
        Metric.DataOneofCase.Sum => ConditionValue.FromString(MetricTypes[1]),
        Metric.DataOneofCase.Histogram => ConditionValue.FromString(MetricTypes[2]),
        Metric.DataOneofCase.ExponentialHistogram => ConditionValue.FromString(MetricTypes[3]),
        Metric.DataOneofCase.Summary => ConditionValue.FromString(MetricTypes[4]),
        _ => ConditionValue.Missing,
    };

    private static ConditionValue ReadPointValue(in ItemView i) => i.Point.Point is NumberDataPoint p
        ? p.ValueCase switch
        {
            NumberDataPoint.ValueOneofCase.AsInt => ConditionValue.FromInt(p.AsInt),
            NumberDataPoint.ValueOneofCase.AsDouble => ConditionValue.FromDouble(p.AsDouble),
            _ => ConditionValue.Missing,
        }
        : ConditionValue.Missing;
}
