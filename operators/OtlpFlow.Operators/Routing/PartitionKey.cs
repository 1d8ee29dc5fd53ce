using System.Text.Json;
using System.Text.Json.Serialization;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Conditions;

namespace OtlpFlow.Operators.Routing;

/// <summary>
/// What items are partitioned by: <c>traceId</c> (a whole trace stays together), <c>spanId</c>,
/// <c>service</c> (the resource's <c>service.name</c>), or an attribute written as in conditions:
/// <c>resource["k8s.pod.name"]</c>, <c>scope["k"]</c>, <c>attributes["tenant"]</c>. An item
/// without the key hashes as an empty value, so all such items go to one member.
/// </summary>
[JsonConverter(typeof(PartitionKeyJsonConverter))]
public sealed class PartitionKey
{
    private static readonly ulong MissingHash = PartitionHash.Of(string.Empty);

    /// <summary>The <c>traceId</c> key's hash of a span's trace id bytes (as read from its encoding).</summary>
    internal static ulong HashOfTraceId(ReadOnlySpan<byte> traceId) => traceId.IsEmpty ? MissingHash : PartitionHash.Of(traceId);

    private readonly KeySource _source;
    private readonly string _attribute;

    private PartitionKey(string text, KeySource source, string attribute)
    {
        Text = text;
        _source = source;
        _attribute = attribute;
    }

    private enum KeySource
    {
        TraceId,
        SpanId,
        Service,
        Resource,
        Scope,
        Item,
    }

    /// <summary>The key as written.</summary>
    public string Text { get; }

    /// <summary>The trace id: the default.</summary>
    public static PartitionKey TraceId { get; } = new("traceId", KeySource.TraceId, string.Empty);

    /// <summary>The resource's <c>service.name</c>.</summary>
    public static PartitionKey Service { get; } = new("service", KeySource.Service, "service.name");

    /// <summary>Parses a key.</summary>
    /// <exception cref="FormatException">The text is not one of the forms above.</exception>
    public static PartitionKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        switch (trimmed)
        {
            case "traceId":
                return TraceId;
            case "spanId":
                return new(trimmed, KeySource.SpanId, string.Empty);
            case "service":
                return Service;
        }

        var open = trimmed.IndexOf("[\"", StringComparison.Ordinal);
        if (open > 0 && trimmed.EndsWith("\"]", StringComparison.Ordinal) && trimmed.Length > open + 4)
        {
            var attribute = trimmed[(open + 2)..^2];
            KeySource? source = trimmed[..open] switch
            {
                "resource" => KeySource.Resource,
                "scope" => KeySource.Scope,
                "attributes" => KeySource.Item,
                _ => null,
            };
            if (source is { } s)
            {
                return new(trimmed, s, attribute);
            }
        }

        throw new FormatException($"'{text}' is not a partition key; use traceId, spanId, service, resource[\"key\"], scope[\"key\"] or attributes[\"key\"]");
    }

    /// <summary>The hash of a span's key.</summary>
    internal ulong Hash(Resource? resource, InstrumentationScope? scope, Span span)
    {
        ArgumentNullException.ThrowIfNull(span);
        return _source switch
        {
            KeySource.TraceId => HashOfTraceId(span.TraceId.Span),
            KeySource.SpanId => span.SpanId.IsEmpty ? MissingHash : PartitionHash.Of(span.SpanId.Span),
            KeySource.Item => Lookup(span.Attributes),
            _ => Shared(resource, scope),
        };
    }

    /// <summary>The hash of a log record's key.</summary>
    internal ulong Hash(Resource? resource, InstrumentationScope? scope, LogRecord log)
    {
        ArgumentNullException.ThrowIfNull(log);
        return _source switch
        {
            KeySource.TraceId => log.TraceId.IsEmpty ? MissingHash : PartitionHash.Of(log.TraceId.Span),
            KeySource.SpanId => log.SpanId.IsEmpty ? MissingHash : PartitionHash.Of(log.SpanId.Span),
            KeySource.Item => Lookup(log.Attributes),
            _ => Shared(resource, scope),
        };
    }

    /// <summary>The hash of a data point's key (metrics have no trace id: that key is missing for them).</summary>
    internal ulong Hash(Resource? resource, InstrumentationScope? scope, DataPointView point) => _source switch
    {
        KeySource.TraceId or KeySource.SpanId => MissingHash,
        KeySource.Item => Lookup(point.Attributes),
        _ => Shared(resource, scope),
    };

    /// <inheritdoc />
    public override string ToString() => Text;

    private ulong Shared(Resource? resource, InstrumentationScope? scope) => _source switch
    {
        KeySource.Scope => Lookup(scope?.Attributes),
        _ => Lookup(resource?.Attributes),
    };

    private ulong Lookup(RepeatedField<KeyValue>? attributes)
    {
        if (attributes is null)
        {
            return MissingHash;
        }

        for (var n = 0; n < attributes.Count; n++)
        {
            if (string.Equals(attributes[n].Key, _attribute, StringComparison.Ordinal))
            {
                return Hash(attributes[n].Value);
            }
        }

        return MissingHash;
    }

    private static ulong Hash(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => PartitionHash.Of(value.StringValue),
        AnyValue.ValueOneofCase.IntValue => PartitionHash.Mix((ulong)value.IntValue),
        AnyValue.ValueOneofCase.DoubleValue => PartitionHash.Mix((ulong)BitConverter.DoubleToInt64Bits(value.DoubleValue)),
        AnyValue.ValueOneofCase.BoolValue => PartitionHash.Mix(value.BoolValue ? 1UL : 2UL),
        AnyValue.ValueOneofCase.BytesValue => PartitionHash.Of(value.BytesValue.Span),
        null or AnyValue.ValueOneofCase.None => MissingHash,
        _ => PartitionHash.Of(value.ToString()),
    };
}
