using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtlpFlow.Engine.Otlp;

/// <summary>
/// OTLP/JSON, the JSON encoding the OTLP specification defines: the proto3 JSON mapping with
/// lowerCamelCase keys, enums as integers, 64-bit integers as decimal strings (numbers are accepted
/// too), unknown fields ignored, and one exception to the mapping: trace and span ids are
/// lowercase hex strings instead of base64 (<c>AnyValue.bytesValue</c> stays base64).
/// </summary>
/// <remarks>
/// Google.Protobuf's formatter and parser do the proto3 mapping; this class rewrites the id fields
/// between hex and base64 on a <see cref="JsonNode"/> tree, walking it alongside the message
/// descriptors so that only real id fields are touched (an attribute named <c>traceId</c> is a
/// value, not a key, and is left alone).
/// </remarks>
public static class OtlpJson
{
    // Each nested message adds at most an object and an array; protobuf's own recursion limit of
    // 100 messages therefore fits well within this depth.
    private const int MaxDepth = 256;

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatEnumsAsIntegers(true));

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    // A key given twice is an error (the protobuf JSON mapping has no meaning for it), found while parsing.
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxDepth, AllowDuplicateProperties = false };

    // The output goes to files and HTTP bodies, never into HTML, so non-ASCII text is kept readable
    // instead of being escaped as \uXXXX.
    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        MaxDepth = MaxDepth,
        WriteIndented = false,
    };

    /// <summary>
    /// Formats an OTLP message (usually an export request) as OTLP/JSON on one line. Ids of any
    /// length are written as hex; the length is checked only when parsing. An empty export request
    /// is written with its empty top-level list (<c>{"resourceLogs":[]}</c>) so that it keeps its signal.
    /// </summary>
    /// <exception cref="OtlpJsonException">The message nests deeper than OTLP/JSON output allows.</exception>
    public static string Format(IMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var proto3 = Formatter.Format(request);
        if (proto3 is "{}" or "{ }" && SignalKey(request) is { } key)
        {
            // An empty request keeps its (default, so omitted) list: "{}" would read back as traces.
            return $"{{\"{key}\":[]}}";
        }

        try
        {
            return RewriteIds(proto3);
        }
        catch (JsonException ex)
        {
            throw new OtlpJsonException($"Cannot format {request.Descriptor.Name} as OTLP/JSON: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Copies proto3 JSON token by token, turning the base64 values of id fields into hex. No tree
    /// is built: this is the hot path of every JSON writer. Only OTLP's id fields are named
    /// <c>traceId</c>, <c>spanId</c> or <c>parentSpanId</c> (attribute names are values of a
    /// <c>key</c> property, never property names), so the property name alone identifies them.
    /// </summary>
    private static string RewriteIds(string proto3)
    {
        var input = System.Text.Encoding.UTF8.GetBytes(proto3);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(input.Length);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = WriteOptions.Encoder, MaxDepth = MaxDepth }))
        {
            var reader = new Utf8JsonReader(input, new JsonReaderOptions { MaxDepth = MaxDepth });
            var isId = false;
            Span<byte> raw = stackalloc byte[32];
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject: writer.WriteStartObject(); break;
                    case JsonTokenType.EndObject: writer.WriteEndObject(); break;
                    case JsonTokenType.StartArray: writer.WriteStartArray(); break;
                    case JsonTokenType.EndArray: writer.WriteEndArray(); break;
                    case JsonTokenType.PropertyName:
                        isId = !reader.ValueIsEscaped && (reader.ValueTextEquals("traceId"u8) || reader.ValueTextEquals("spanId"u8) || reader.ValueTextEquals("parentSpanId"u8));
                        if (reader.ValueIsEscaped)
                        {
                            writer.WritePropertyName(reader.GetString()!);
                        }
                        else
                        {
                            writer.WritePropertyName(reader.ValueSpan);
                        }

                        continue;
                    case JsonTokenType.String when isId && System.Buffers.Text.Base64.DecodeFromUtf8(reader.ValueSpan, raw, out _, out var written) == System.Buffers.OperationStatus.Done:
                        writer.WriteStringValue(Convert.ToHexStringLower(raw[..written]));
                        break;
                    case JsonTokenType.String when !reader.ValueIsEscaped:
                        writer.WriteStringValue(reader.ValueSpan);
                        break;
                    case JsonTokenType.String:
                        writer.WriteStringValue(reader.GetString());
                        break;
                    case JsonTokenType.Number: writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true); break;
                    case JsonTokenType.True: writer.WriteBooleanValue(true); break;
                    case JsonTokenType.False: writer.WriteBooleanValue(false); break;
                    case JsonTokenType.Null: writer.WriteNullValue(); break;
                }

                isId = false;
            }
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// Parses an export request of any signal, recognised by its top-level key: <c>resourceSpans</c>
    /// gives an <see cref="ExportTraceServiceRequest"/>, <c>resourceMetrics</c> an
    /// <see cref="ExportMetricsServiceRequest"/>, <c>resourceLogs</c> an <see cref="ExportLogsServiceRequest"/>.
    /// An empty object <c>{}</c> is an empty trace request.
    /// </summary>
    /// <exception cref="OtlpJsonException">The text is not an OTLP/JSON export request.</exception>
    public static IMessage Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var root = ParseObject(json);
        return ParseMessage(root, DetectRequest(root));
    }

    /// <summary>Parses OTLP/JSON as a message of a known type (an export request or any OTLP message).</summary>
    /// <exception cref="OtlpJsonException">The text is not valid OTLP/JSON for <typeparamref name="T"/>.</exception>
    public static T Parse<T>(string json)
        where T : IMessage<T>, new()
    {
        ArgumentNullException.ThrowIfNull(json);
        return (T)ParseMessage(ParseObject(json), new T().Descriptor);
    }

    private static string? SignalKey(IMessage request) => request switch
    {
        ExportTraceServiceRequest => "resourceSpans",
        ExportMetricsServiceRequest => "resourceMetrics",
        ExportLogsServiceRequest => "resourceLogs",
        _ => null,
    };

    private static JsonObject ParseObject(string json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, documentOptions: DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new OtlpJsonException($"Invalid OTLP/JSON: {ex.Message}", ex);
        }

        return node as JsonObject
            ?? throw new OtlpJsonException($"Invalid OTLP/JSON: expected an object at the top level, got {Describe(node)}.");
    }

    private static MessageDescriptor DetectRequest(JsonObject root)
    {
        MessageDescriptor? found = null;
        foreach (var (key, _) in root)
        {
            MessageDescriptor? descriptor = key switch
            {
                "resourceSpans" or "resource_spans" => ExportTraceServiceRequest.Descriptor,
                "resourceMetrics" or "resource_metrics" => ExportMetricsServiceRequest.Descriptor,
                "resourceLogs" or "resource_logs" => ExportLogsServiceRequest.Descriptor,
                _ => null,
            };
            if (descriptor is null)
            {
                continue;
            }

            if (found is not null && found != descriptor)
            {
                throw new OtlpJsonException("Invalid OTLP/JSON: a request holds one signal, but this one has more than one of resourceSpans, resourceMetrics and resourceLogs.");
            }

            found = descriptor;
        }

        if (found is null && root.Count > 0)
        {
            // Guessing a signal for an object of only unknown keys would hide a wrong input.
            throw new OtlpJsonException("Invalid OTLP/JSON: expected resourceSpans, resourceMetrics or resourceLogs at the top level, got "
                + string.Join(", ", root.Select(p => p.Key).Take(5)) + ".");
        }

        return found ?? ExportTraceServiceRequest.Descriptor;
    }

    private static IMessage ParseMessage(JsonObject root, MessageDescriptor descriptor)
    {
        try
        {
            Rewrite(root, descriptor, toOtlp: false);
            return Parser.Parse(root.ToJsonString(WriteOptions), descriptor);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException or FormatException or JsonException
            or InvalidOperationException or ArgumentException)
        {
            // InvalidOperationException: a string that is not valid UTF-16 (a lone surrogate escape);
            // ArgumentException: a key given twice in one object.
            throw new OtlpJsonException($"Invalid OTLP/JSON for {descriptor.Name}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Rewrites a proto3 JSON tree into OTLP/JSON (<paramref name="toOtlp"/>: base64 ids to hex) or
    /// back (hex ids to base64, and 64-bit integers given as numbers to strings).
    /// </summary>
    private static void Rewrite(JsonObject json, MessageDescriptor descriptor, bool toOtlp)
    {
        List<(string Key, JsonNode Value)>? replacements = null;
        foreach (var (key, value) in json)
        {
            var field = value is null ? null : FindField(descriptor, key);
            if (field is null)
            {
                continue; // unknown fields are the parser's to ignore
            }

            switch (field.FieldType)
            {
                case FieldType.Message or FieldType.Group:
                    if (value is JsonArray items)
                    {
                        foreach (var item in items)
                        {
                            if (item is JsonObject child)
                            {
                                Rewrite(child, field.MessageType, toOtlp);
                            }
                        }
                    }
                    else if (value is JsonObject child)
                    {
                        Rewrite(child, field.MessageType, toOtlp);
                    }

                    break;

                case FieldType.Bytes when IdLength(field) is int length && !field.IsRepeated:
                    (replacements ??= []).Add((key, toOtlp ? Base64ToHex(value!) : HexToBase64(value!, length)));
                    break;

                case FieldType.Bytes when !toOtlp:
                    // The proto3 JSON mapping accepts URL-safe base64 and missing padding; Google.Protobuf's parser does not.
                    if (value is JsonArray blobs)
                    {
                        for (var i = 0; i < blobs.Count; i++)
                        {
                            if (StandardBase64(blobs[i]) is { } standard)
                            {
                                blobs[i] = standard;
                            }
                        }
                    }
                    else if (StandardBase64(value) is { } standard)
                    {
                        (replacements ??= []).Add((key, standard));
                    }

                    break;

                case FieldType.Int64 or FieldType.UInt64 or FieldType.SInt64 or FieldType.Fixed64 or FieldType.SFixed64 when !toOtlp:
                    // Google.Protobuf reads JSON numbers through double, which rounds nanosecond
                    // timestamps; an exact decimal string does not lose a digit.
                    if (value is JsonArray numbers)
                    {
                        for (var i = 0; i < numbers.Count; i++)
                        {
                            if (ExactIntegerText(numbers[i]) is { } text)
                            {
                                numbers[i] = JsonValue.Create(text);
                            }
                        }
                    }
                    else if (ExactIntegerText(value) is { } text)
                    {
                        (replacements ??= []).Add((key, JsonValue.Create(text)));
                    }

                    break;
            }
        }

        if (replacements is not null)
        {
            foreach (var (key, value) in replacements)
            {
                json[key] = value;
            }
        }
    }

    private static FieldDescriptor? FindField(MessageDescriptor descriptor, string key)
    {
        // The parser accepts both the JSON name and the proto field name; so does the rewrite.
        foreach (var field in descriptor.Fields.InDeclarationOrder())
        {
            if (field.JsonName == key || field.Name == key)
            {
                return field;
            }
        }

        return null;
    }

    /// <summary>The byte length of a trace or span id field, or null for any other bytes field.</summary>
    private static int? IdLength(FieldDescriptor field) => field.Name switch
    {
        "trace_id" => 16,
        "span_id" or "parent_span_id" => 8,
        _ => null,
    };

    private static JsonValue Base64ToHex(JsonNode value) =>
        JsonValue.Create(Convert.ToHexStringLower(Convert.FromBase64String(value.GetValue<string>())));

    private static JsonValue HexToBase64(JsonNode value, int length)
    {
        if (value.GetValueKind() != JsonValueKind.String)
        {
            throw new OtlpJsonException($"Invalid OTLP/JSON at '{value.GetPath()}': an id must be a hex string, got {Describe(value)}.");
        }

        var hex = value.GetValue<string>();
        if (hex.Length == 0)
        {
            return JsonValue.Create(string.Empty);
        }

        if (hex.Length != length * 2)
        {
            throw new OtlpJsonException(
                $"Invalid OTLP/JSON at '{value.GetPath()}': an id of {length} bytes must be {length * 2} hex digits, got {hex.Length} characters (\"{Shorten(hex)}\").");
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(hex);
        }
        catch (FormatException ex)
        {
            throw new OtlpJsonException(
                $"Invalid OTLP/JSON at '{value.GetPath()}': an id must be hex digits 0-9 and a-f, got \"{Shorten(hex)}\".", ex);
        }

        return JsonValue.Create(Convert.ToBase64String(bytes));
    }

    /// <summary>A base64 string in the standard alphabet with padding, or null when it already is one (or is not a string).</summary>
    private static JsonValue? StandardBase64(JsonNode? value)
    {
        if (value is not JsonValue text || text.GetValueKind() != JsonValueKind.String)
        {
            return null;
        }

        var base64 = text.GetValue<string>();
        var padding = (4 - (base64.Length % 4)) % 4;
        if (padding == 0 && base64.AsSpan().IndexOfAny('-', '_') < 0)
        {
            return null;
        }

        return JsonValue.Create(base64.Replace('-', '+').Replace('_', '/') + new string('=', padding == 3 ? 0 : padding));
    }

    private static string? ExactIntegerText(JsonNode? value)
    {
        if (value is not JsonValue number || number.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }

        // Fractions, exponents and out-of-range values stay numbers for the parser to judge.
        if (number.TryGetValue(out long signed))
        {
            return signed.ToString(CultureInfo.InvariantCulture);
        }

        return number.TryGetValue(out ulong unsigned) ? unsigned.ToString(CultureInfo.InvariantCulture) : null;
    }

    private static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        _ => Shorten(node.ToJsonString()),
    };

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "...";
}
