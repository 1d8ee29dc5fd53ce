using System.Globalization;
using System.Text.Json;
using Google.Protobuf.Reflection;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtlpFlow.Conformance;

/// <summary>
/// Compares two OTLP/JSON documents by meaning, walking both trees alongside the protobuf
/// descriptors: every key of one must be present in the other with the same value once the
/// encodings the proto3 JSON mapping allows are normalised (64-bit integers as strings or numbers,
/// enums as names or integers, proto or JSON field names, hex ids in either case, base64 in either
/// alphabet, default values omitted). A key that no OTLP field has is a difference too: it would be
/// a field our protobuf definitions do not know, and so lose.
/// </summary>
internal static class OtlpJsonSemantics
{
    /// <summary>The differences, each naming its JSON path; empty when both mean the same.</summary>
    public static IReadOnlyList<string> Differences(string expectedJson, string actualJson)
    {
        using var expected = JsonDocument.Parse(expectedJson);
        using var actual = JsonDocument.Parse(actualJson);
        var descriptor = RequestDescriptor(expected.RootElement);
        var differences = new List<string>();

        // Every field of the original is in ours with the same meaning, and ours adds nothing.
        CompareMessage(expected.RootElement, actual.RootElement, descriptor, "$", differences, "missing from ours");
        CompareMessage(actual.RootElement, expected.RootElement, descriptor, "$", differences, "added by ours");
        return differences.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Fails naming every JSON path whose meaning differs.</summary>
    public static void AssertSameMeaning(string expectedJson, string actualJson)
    {
        var differences = Differences(expectedJson, actualJson);
        Assert.True(differences.Count == 0, "OTLP/JSON differs in meaning:\n" + string.Join("\n", differences));
    }

    private static MessageDescriptor RequestDescriptor(JsonElement root)
    {
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "resourceSpans" or "resource_spans": return ExportTraceServiceRequest.Descriptor;
                case "resourceMetrics" or "resource_metrics": return ExportMetricsServiceRequest.Descriptor;
                case "resourceLogs" or "resource_logs": return ExportLogsServiceRequest.Descriptor;
            }
        }

        throw new InvalidOperationException("not an OTLP/JSON export request");
    }

    private static void CompareMessage(JsonElement source, JsonElement other, MessageDescriptor descriptor, string path, List<string> differences, string missing)
    {
        if (source.ValueKind != JsonValueKind.Object || other.ValueKind != JsonValueKind.Object)
        {
            differences.Add($"{path}: expected objects, got {source.ValueKind} and {other.ValueKind}");
            return;
        }

        foreach (var property in source.EnumerateObject())
        {
            var here = path + "." + property.Name;
            var field = Find(descriptor, property.Name);
            if (field is null)
            {
                differences.Add($"{here}: no field of {descriptor.FullName} has this name (it would be lost)");
                continue;
            }

            if (!TryGet(other, field, out var counterpart) || counterpart.ValueKind == JsonValueKind.Null)
            {
                // proto3 JSON may omit a field at its default value, except a oneof member (its presence is its meaning).
                if (field.RealContainingOneof is not null || !IsDefault(property.Value, field))
                {
                    differences.Add($"{here}: {missing}");
                }

                continue;
            }

            CompareField(property.Value, counterpart, field, here, differences, missing);
        }
    }

    private static void CompareField(JsonElement source, JsonElement other, FieldDescriptor field, string path, List<string> differences, string missing)
    {
        if (field.IsRepeated)
        {
            if (source.ValueKind != JsonValueKind.Array || other.ValueKind != JsonValueKind.Array)
            {
                differences.Add($"{path}: expected arrays, got {source.ValueKind} and {other.ValueKind}");
                return;
            }

            if (source.GetArrayLength() != other.GetArrayLength())
            {
                differences.Add($"{path}: {source.GetArrayLength()} items against {other.GetArrayLength()}");
                return;
            }

            var i = 0;
            foreach (var (a, b) in source.EnumerateArray().Zip(other.EnumerateArray()))
            {
                CompareSingle(a, b, field, $"{path}[{i++}]", differences, missing);
            }

            return;
        }

        CompareSingle(source, other, field, path, differences, missing);
    }

    private static void CompareSingle(JsonElement source, JsonElement other, FieldDescriptor field, string path, List<string> differences, string missing)
    {
        if (field.FieldType is FieldType.Message or FieldType.Group)
        {
            CompareMessage(source, other, field.MessageType, path, differences, missing);
            return;
        }

        var a = Normalise(source, field);
        var b = Normalise(other, field);
        if (!string.Equals(a, b, StringComparison.Ordinal))
        {
            differences.Add($"{path}: {source.GetRawText()} against {other.GetRawText()}");
        }
    }

    /// <summary>A canonical text of a scalar value, equal for every encoding of the same value.</summary>
    private static string Normalise(JsonElement value, FieldDescriptor field)
    {
        var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        switch (field.FieldType)
        {
            case FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 or FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32:
                return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var signed) ? signed.ToString(CultureInfo.InvariantCulture) : "?" + text;
            case FieldType.UInt64 or FieldType.Fixed64 or FieldType.UInt32 or FieldType.Fixed32:
                return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var unsigned) ? unsigned.ToString(CultureInfo.InvariantCulture) : "?" + text;
            case FieldType.Double or FieldType.Float:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) ? real.ToString("R", CultureInfo.InvariantCulture) : text;
            case FieldType.Enum:
                if (value.ValueKind == JsonValueKind.String && field.EnumType.FindValueByName(text) is { } named)
                {
                    return named.Number.ToString(CultureInfo.InvariantCulture);
                }

                return text;
            case FieldType.Bool:
                return text;
            case FieldType.Bytes when field.Name is "trace_id" or "span_id" or "parent_span_id":
                return text.ToLowerInvariant(); // OTLP/JSON: ids are hex, in either case
            case FieldType.Bytes:
                var base64 = text.Replace('-', '+').Replace('_', '/');
                base64 += new string('=', (4 - (base64.Length % 4)) % 4);
                try
                {
                    return Convert.ToHexString(Convert.FromBase64String(base64));
                }
                catch (FormatException)
                {
                    return "?" + text;
                }

            default:
                return text;
        }
    }

    private static bool IsDefault(JsonElement value, FieldDescriptor field)
    {
        if (field.IsRepeated)
        {
            return value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 0;
        }

        return field.FieldType switch
        {
            FieldType.Message or FieldType.Group => false, // a message present, even empty, is meaning
            FieldType.Bool => value.ValueKind == JsonValueKind.False,
            FieldType.String or FieldType.Bytes => value.ValueKind == JsonValueKind.String && value.GetString()!.Length == 0,
            FieldType.Enum => Normalise(value, field) == "0",
            _ => Normalise(value, field) is "0" or "-0",
        };
    }

    private static FieldDescriptor? Find(MessageDescriptor descriptor, string key) =>
        descriptor.Fields.InDeclarationOrder().FirstOrDefault(f => f.JsonName == key || f.Name == key);

    private static bool TryGet(JsonElement message, FieldDescriptor field, out JsonElement value) =>
        message.TryGetProperty(field.JsonName, out value) || message.TryGetProperty(field.Name, out value);
}
