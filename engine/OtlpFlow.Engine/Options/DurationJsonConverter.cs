using System.Text.Json;
using System.Text.Json.Serialization;

namespace OtlpFlow.Engine.Options;

/// <summary>Reads <see cref="TimeSpan"/> options from duration strings such as <c>"250ms"</c>.</summary>
public sealed class DurationJsonConverter : JsonConverter<TimeSpan>
{
    /// <inheritdoc />
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && Duration.TryParse(reader.GetString(), out var value))
        {
            return value;
        }

        throw new JsonException($"must be a duration like \"250ms\", \"10s\" or \"5m\", got {OptionsBinder.Describe(ref reader)}");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Duration.Format(value));
}
