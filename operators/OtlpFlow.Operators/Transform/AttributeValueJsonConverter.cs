using System.Text.Json;
using System.Text.Json.Serialization;
using OtlpFlow.Engine.Options;

namespace OtlpFlow.Operators.Transform;

/// <summary>Reads an attribute value option as a string, a <see cref="long"/>, a <see cref="double"/> or a <see cref="bool"/>.</summary>
internal sealed class AttributeValueJsonConverter : JsonConverter<object>
{
    public override bool HandleNull => false;

    public override object Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString()!,
        JsonTokenType.Number when reader.TryGetInt64(out var integer) => integer,
        JsonTokenType.Number => reader.GetDouble(),
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw new JsonException($"must be a string, a number, true or false, got {OptionsBinder.Describe(ref reader)}"),
    };

    public override void Write(Utf8JsonWriter writer, object value, JsonSerializerOptions options)
    {
        switch (value)
        {
            case string text:
                writer.WriteStringValue(text);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case long integer:
                writer.WriteNumberValue(integer);
                break;
            case int integer:
                writer.WriteNumberValue(integer);
                break;
            case double number:
                writer.WriteNumberValue(number);
                break;
            default:
                JsonSerializer.Serialize(writer, value, value.GetType(), options);
                break;
        }
    }
}
