using System.Globalization;
using System.Text.Json.Serialization;

namespace OtlpFlow.Engine.Options;

/// <summary>
/// A size in bytes, written in pipeline files as <c>"64KiB"</c>, <c>"1GiB"</c>, <c>"500MB"</c> or a plain
/// number of bytes. Binary units (KiB, MiB, GiB, TiB) are powers of 1024; decimal ones (KB, MB, GB,
/// TB) powers of 1000.
/// </summary>
[JsonConverter(typeof(ByteSizeJsonConverter))]
public readonly record struct ByteSize(long Bytes) : IComparable<ByteSize>
{
    /// <summary>No bytes.</summary>
    public static ByteSize Zero => default;

    /// <summary>Kibibytes.</summary>
    public static ByteSize FromKiB(long value) => new(checked(value * 1024));

    /// <summary>Mebibytes.</summary>
    public static ByteSize FromMiB(long value) => new(checked(value * 1024 * 1024));

    /// <summary>Gibibytes.</summary>
    public static ByteSize FromGiB(long value) => new(checked(value * 1024 * 1024 * 1024));

    /// <summary>Parses a size; false when the text is not one.</summary>
    public static bool TryParse(string? text, out ByteSize value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var span = text.AsSpan().Trim();
        var numberLength = 0;
        while (numberLength < span.Length && (char.IsAsciiDigit(span[numberLength]) || span[numberLength] == '.'))
        {
            numberLength++;
        }

        if (numberLength == 0 || !double.TryParse(span[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        double multiplier = span[numberLength..].Trim() switch
        {
            "" or "B" => 1,
            "KiB" => 1L << 10,
            "MiB" => 1L << 20,
            "GiB" => 1L << 30,
            "TiB" => 1L << 40,
            "KB" or "kB" => 1e3,
            "MB" => 1e6,
            "GB" => 1e9,
            "TB" => 1e12,
            _ => -1,
        };
        if (multiplier < 0 || number * multiplier > long.MaxValue)
        {
            return false;
        }

        value = new ByteSize((long)(number * multiplier));
        return true;
    }

    /// <summary>Parses a size or throws <see cref="FormatException"/>.</summary>
    public static ByteSize Parse(string text) =>
        TryParse(text, out var value) ? value : throw new FormatException($"must be a size like \"64KiB\", \"16MiB\" or \"1GiB\", got \"{text}\"");

    /// <inheritdoc />
    public int CompareTo(ByteSize other) => Bytes.CompareTo(other.Bytes);

    /// <summary>Compares sizes.</summary>
    public static bool operator <(ByteSize left, ByteSize right) => left.Bytes < right.Bytes;

    /// <summary>Compares sizes.</summary>
    public static bool operator >(ByteSize left, ByteSize right) => left.Bytes > right.Bytes;

    /// <summary>Compares sizes.</summary>
    public static bool operator <=(ByteSize left, ByteSize right) => left.Bytes <= right.Bytes;

    /// <summary>Compares sizes.</summary>
    public static bool operator >=(ByteSize left, ByteSize right) => left.Bytes >= right.Bytes;

    /// <summary>The size in the largest binary unit that divides it exactly.</summary>
    public override string ToString()
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var value = Bytes;
        var unit = 0;
        while (value != 0 && value % 1024 == 0 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{value}{units[unit]}");
    }
}
