using System.Text.Json;
using System.Text.Json.Serialization;
using OtlpFlow.Engine.Options;

namespace OtlpFlow.Engine.Conditions;

/// <summary>
/// Reads a <see cref="Condition"/> from a JSON string, so that options properties can be typed
/// <see cref="Condition"/>. A condition that does not parse is reported as a <see cref="JsonException"/>
/// whose message starts with <c>must be a valid condition:</c>, which the options binder shows
/// next to the option's key.
/// </summary>
public sealed class ConditionJsonConverter : JsonConverter<Condition>
{
    /// <inheritdoc />
    public override Condition Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"must be a condition in a string, such as \"status.code == ERROR\", got {OptionsBinder.Describe(ref reader)}");
        }

        try
        {
            return Condition.Parse(reader.GetString()!);
        }
        catch (ConditionParseException ex)
        {
            throw new JsonException($"must be a valid condition: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, Condition value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStringValue(value.Text);
    }
}
