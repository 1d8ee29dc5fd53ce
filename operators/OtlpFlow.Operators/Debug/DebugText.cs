using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;

namespace OtlpFlow.Operators.Debugging;

/// <summary>Renders OTLP values as text: ids in lowercase hex, times in RFC 3339 with nanoseconds, values typed by their look.</summary>
internal static class DebugText
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>An id as lowercase hex; <c>-</c> when empty.</summary>
    public static string Hex(ByteString id) => id.IsEmpty ? "-" : Convert.ToHexStringLower(id.Span);

    /// <summary>A Unix-nanosecond time such as <c>2026-01-01T00:00:00.000000000Z</c>; <c>-</c> when unset.</summary>
    public static void AppendTime(StringBuilder text, ulong unixNanos)
    {
        if (unixNanos == 0)
        {
            text.Append('-');
            return;
        }

        var seconds = (long)(unixNanos / 1_000_000_000UL);
        var nanos = (long)(unixNanos % 1_000_000_000UL);
        var instant = DateTimeOffset.FromUnixTimeSeconds(seconds);
        text.Append(Invariant, $"{instant:yyyy-MM-dd'T'HH:mm:ss}.{nanos:D9}Z");
    }

    /// <summary>The time between two Unix-nanosecond instants in milliseconds, such as <c>12.345ms</c>.</summary>
    public static void AppendDuration(StringBuilder text, ulong start, ulong end)
    {
        var millis = end >= start ? (end - start) / 1e6 : -((start - end) / 1e6);
        text.Append(Invariant, $"{millis:0.000}ms");
    }

    /// <summary>A double in its shortest round-trip form.</summary>
    public static void AppendNumber(StringBuilder text, double value) => text.Append(value.ToString("R", Invariant));

    /// <summary>A string in double quotes, with quotes, backslashes and control characters escaped so that it stays on one line.</summary>
    public static void AppendQuoted(StringBuilder text, string value)
    {
        text.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    text.Append("\\\"");
                    break;
                case '\\':
                    text.Append("\\\\");
                    break;
                case '\n':
                    text.Append("\\n");
                    break;
                case '\r':
                    text.Append("\\r");
                    break;
                case '\t':
                    text.Append("\\t");
                    break;
                default:
                    if (char.IsControl(c))
                    {
                        text.Append(Invariant, $"\\u{(int)c:x4}");
                    }
                    else
                    {
                        text.Append(c);
                    }

                    break;
            }
        }

        text.Append('"');
    }

    /// <summary>
    /// An attribute value: strings quoted, numbers and booleans bare, bytes as <c>0x</c> hex, arrays
    /// in brackets and maps in braces; <c>null</c> for an empty value.
    /// </summary>
    public static void AppendValue(StringBuilder text, AnyValue? value)
    {
        switch (value?.ValueCase ?? AnyValue.ValueOneofCase.None)
        {
            case AnyValue.ValueOneofCase.StringValue:
                AppendQuoted(text, value!.StringValue);
                break;
            case AnyValue.ValueOneofCase.BoolValue:
                text.Append(value!.BoolValue ? "true" : "false");
                break;
            case AnyValue.ValueOneofCase.IntValue:
                text.Append(value!.IntValue.ToString(Invariant));
                break;
            case AnyValue.ValueOneofCase.DoubleValue:
                AppendNumber(text, value!.DoubleValue);
                break;
            case AnyValue.ValueOneofCase.BytesValue:
                text.Append("0x").Append(Convert.ToHexStringLower(value!.BytesValue.Span));
                break;
            case AnyValue.ValueOneofCase.ArrayValue:
                text.Append('[');
                var values = value!.ArrayValue.Values;
                for (var i = 0; i < values.Count; i++)
                {
                    if (i > 0)
                    {
                        text.Append(", ");
                    }

                    AppendValue(text, values[i]);
                }

                text.Append(']');
                break;
            case AnyValue.ValueOneofCase.KvlistValue:
                AppendInline(text, value!.KvlistValue.Values);
                break;
            default:
                text.Append("null");
                break;
        }
    }

    /// <summary>Attributes on one line: <c>{key=value, ...}</c>.</summary>
    public static void AppendInline(StringBuilder text, RepeatedField<KeyValue> attributes)
    {
        text.Append('{');
        for (var i = 0; i < attributes.Count; i++)
        {
            if (i > 0)
            {
                text.Append(", ");
            }

            text.Append(attributes[i].Key).Append('=');
            AppendValue(text, attributes[i].Value);
        }

        text.Append('}');
    }

    /// <summary>Attributes one per line under a title, indented by <paramref name="indent"/> spaces; nothing when there are none.</summary>
    public static void AppendBlock(StringBuilder text, int indent, string title, RepeatedField<KeyValue> attributes)
    {
        if (attributes.Count == 0)
        {
            return;
        }

        text.Append(' ', indent).Append(title).Append(":\n");
        foreach (var attribute in attributes)
        {
            text.Append(' ', indent + 2).Append(attribute.Key).Append(": ");
            AppendValue(text, attribute.Value);
            text.Append('\n');
        }
    }

    /// <summary>The resource's <c>service.name</c>, or <c>unknown</c>.</summary>
    public static string ServiceName(Resource? resource)
    {
        if (resource is not null)
        {
            foreach (var attribute in resource.Attributes)
            {
                if (attribute.Key == "service.name" && attribute.Value?.ValueCase == AnyValue.ValueOneofCase.StringValue)
                {
                    return attribute.Value.StringValue;
                }
            }
        }

        return "unknown";
    }
}
