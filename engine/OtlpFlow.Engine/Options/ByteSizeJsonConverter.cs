using System.Text.Json;
using System.Text.Json.Serialization;

namespace OtlpFlow.Engine.Options;

/// <summary>Reads <see cref="ByteSize"/> from <c>"64MiB"</c> or a number of bytes.</summary>
public sealed class ByteSizeJsonConverter : JsonConverter<ByteSize>
{
    /// <inheritdoc />
    public override ByteSize Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var bytes) && bytes >= 0)
        {
            return new ByteSize(bytes);
        }

        if (reader.TokenType == JsonTokenType.String && ByteSize.TryParse(reader.GetString(), out var size))
        {
            return size;
        }

        throw new JsonException($"must be a size like \"64KiB\", \"16MiB\" or \"1GiB\", got {OptionsBinder.Describe(ref reader)}");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, ByteSize value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
