using System.Globalization;

namespace OtlpFlow.Engine.Options;

/// <summary>
/// Parses and prints durations as pipeline files write them: a number and a unit (<c>ns</c>, <c>us</c>,
/// <c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>, <c>d</c>), possibly several in a row (<c>"1m30s"</c>) and with a
/// fraction (<c>"1.5s"</c>). A bare <c>"0"</c> is zero.
/// </summary>
public static class Duration
{
    /// <summary>Parses a duration; false when the text is not one.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var span = text.AsSpan().Trim();
        if (span is "0")
        {
            return true;
        }

        double totalTicks = 0;
        while (!span.IsEmpty)
        {
            var numberLength = 0;
            while (numberLength < span.Length && (char.IsAsciiDigit(span[numberLength]) || span[numberLength] == '.'))
            {
                numberLength++;
            }

            if (numberLength == 0 || !double.TryParse(span[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            span = span[numberLength..];
            var unitLength = 0;
            while (unitLength < span.Length && char.IsAsciiLetter(span[unitLength]))
            {
                unitLength++;
            }

            double ticksPerUnit = span[..unitLength] switch
            {
                "ns" => TimeSpan.TicksPerMicrosecond / 1000.0,
                "us" or "µs" => TimeSpan.TicksPerMicrosecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                "d" => TimeSpan.TicksPerDay,
                _ => -1,
            };
            if (ticksPerUnit < 0)
            {
                return false;
            }

            totalTicks += number * ticksPerUnit;
            span = span[unitLength..];
        }

        if (totalTicks > TimeSpan.MaxValue.Ticks)
        {
            return false;
        }

        value = TimeSpan.FromTicks((long)Math.Round(totalTicks));
        return true;
    }

    /// <summary>Parses a duration or throws <see cref="FormatException"/> with a message a user can act on.</summary>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value) ? value : throw new FormatException($"must be a duration like \"250ms\", \"10s\" or \"5m\", got \"{text}\"");

    /// <summary>Prints a duration the way a pipeline file would write it (<c>"250ms"</c>, <c>"10s"</c>, <c>"1h30m"</c>).</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0s";
        }

        if (value.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            return value.Ticks % TimeSpan.TicksPerMillisecond == 0
                ? $"{value.Ticks / TimeSpan.TicksPerMillisecond}ms"
                : $"{value.Ticks / (double)TimeSpan.TicksPerMillisecond:0.###}ms";
        }

        var text = string.Empty;
        if (value.Days > 0) text += $"{value.Days}d";
        if (value.Hours > 0) text += $"{value.Hours}h";
        if (value.Minutes > 0) text += $"{value.Minutes}m";
        if (value.Seconds > 0) text += $"{value.Seconds}s";
        return text;
    }
}
