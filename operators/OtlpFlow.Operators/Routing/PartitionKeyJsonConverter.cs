using System.Text.Json;
using System.Text.Json.Serialization;

namespace OtlpFlow.Operators.Routing;

/// <summary>Reads a <see cref="PartitionKey"/> from a JSON string.</summary>
internal sealed class PartitionKeyJsonConverter : JsonConverter<PartitionKey>
{
    /// <inheritdoc />
    public override PartitionKey Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException("must be a partition key in a string, such as \"traceId\", \"service\" or \"attributes[\\\"tenant\\\"]\"");
        }

        try
        {
            return PartitionKey.Parse(reader.GetString()!);
        }
        catch (FormatException ex)
        {
            throw new JsonException(ex.Message, ex);
        }
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, PartitionKey value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStringValue(value.Text);
    }
}
