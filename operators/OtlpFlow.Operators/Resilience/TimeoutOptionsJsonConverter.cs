using System.Text.Json;
using System.Text.Json.Serialization;

namespace OtlpFlow.Operators.Resilience;

/// <summary>
/// Reads a <c>timeout</c> key given either as a duration (<c>"10s"</c>, a fixed timeout) or as an
/// object of <see cref="TimeoutOptions"/> (<c>{ "adaptive": true, "floor": "200ms" }</c>).
/// </summary>
internal sealed class TimeoutOptionsJsonConverter : JsonConverter<TimeoutOptions>
{
    /// <inheritdoc />
    public override TimeoutOptions? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return TimeoutOptions.FromTimeSpan(JsonSerializer.Deserialize<TimeSpan>(ref reader, options));
        }

        // The object form goes through a twin class: deserializing TimeoutOptions itself would come
        // back to this converter.
        var shape = JsonSerializer.Deserialize<Shape>(ref reader, options);
        if (shape is null)
        {
            return null;
        }

        var defaults = new TimeoutOptions();
        return new TimeoutOptions
        {
            Duration = shape.Duration ?? defaults.Duration,
            Adaptive = shape.Adaptive ?? defaults.Adaptive,
            Quantile = shape.Quantile ?? defaults.Quantile,
            Multiplier = shape.Multiplier ?? defaults.Multiplier,
            Floor = shape.Floor ?? defaults.Floor,
            Ceiling = shape.Ceiling ?? defaults.Ceiling,
            Samples = shape.Samples ?? defaults.Samples,
            MinSamples = shape.MinSamples ?? defaults.MinSamples,
        };
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, TimeoutOptions value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        JsonSerializer.Serialize(writer, new Shape
        {
            Duration = value.Duration,
            Adaptive = value.Adaptive,
            Quantile = value.Quantile,
            Multiplier = value.Multiplier,
            Floor = value.Floor,
            Ceiling = value.Ceiling,
            Samples = value.Samples,
            MinSamples = value.MinSamples,
        }, options);
    }

    private sealed class Shape
    {
        public TimeSpan? Duration { get; set; }

        public bool? Adaptive { get; set; }

        public double? Quantile { get; set; }

        public double? Multiplier { get; set; }

        public TimeSpan? Floor { get; set; }

        public TimeSpan? Ceiling { get; set; }

        public int? Samples { get; set; }

        public int? MinSamples { get; set; }
    }
}
