using System.Buffers.Binary;
using System.Globalization;
using Google.Protobuf;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// The arithmetic of OpenTelemetry consistent probability sampling: 56-bit randomness R, 56-bit
/// rejection thresholds T = (1 − p)·2^56, the <c>th</c> and <c>rv</c> encodings, and the rule
/// "keep iff R ≥ T". Every sampler in this folder decides with these functions, so decisions made
/// by different operators (and by SDKs that follow the specification) agree on the same trace.
/// </summary>
internal static class ConsistentProbability
{
    /// <summary>2^56: one more than the largest randomness value.</summary>
    public const ulong MaxAdjustedCount = 1UL << 56;

    /// <summary>The mask of the 56 bits that randomness and thresholds use.</summary>
    public const ulong Mask56 = MaxAdjustedCount - 1;

    /// <summary>The threshold that keeps everything (probability 1, <c>th:0</c>).</summary>
    public const ulong AlwaysKeep = 0;

    /// <summary>
    /// A threshold no randomness reaches: the sampler keeps nothing. Not a probability (the
    /// specification defines none for "never"), so it is never written as <c>th</c>.
    /// </summary>
    public const ulong NeverKeep = MaxAdjustedCount;

    /// <summary>The smallest probability a threshold can express, 2^-56.</summary>
    public const double MinProbability = 1.0 / MaxAdjustedCount;

    private const int HexDigits = 14;

    /// <summary>
    /// The rejection threshold for <paramref name="probability"/>, rounded to
    /// <paramref name="precision"/> significant hex digits as the specification's algorithm does:
    /// precision grows by one digit for every leading <c>f</c> that a small probability forces, so
    /// 1% at precision 5 is <c>fd70a4</c>. Probability 1 is 0, probability 0 is <see cref="NeverKeep"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The probability is outside [0, 1] or the precision outside [1, 14].</exception>
    public static ulong ThresholdFromProbability(double probability, int precision = 5)
    {
        if (double.IsNaN(probability) || probability < 0 || probability > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "must be between 0 and 1");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(precision, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(precision, HexDigits);
        if (probability >= 1)
        {
            return AlwaysKeep;
        }

        if (probability < MinProbability)
        {
            return NeverKeep;
        }

        // Every multiple of 4 in the binary exponent of p is one more leading 'f' in T, which
        // carries no information: count those digits on top of the requested precision.
        var exponent = Math.ILogB(probability) + 1; // the exponent of frexp: p = m·2^e, m in [0.5, 1)
        var digits = Math.Min(HexDigits, precision + (int)Math.Floor(exponent / -4.0));
        var threshold = MaxAdjustedCount - (ulong)Math.Round(probability * MaxAdjustedCount);
        var shift = 4 * (HexDigits - digits);
        if (shift > 0)
        {
            threshold = ((threshold + (1UL << (shift - 1))) >> shift) << shift;
        }

        // Rounding up may reach 2^56 for probabilities near the minimum; the largest threshold
        // still keeps the one randomness value at the top.
        return Math.Min(threshold, Mask56);
    }

    /// <summary>The probability a threshold keeps: (2^56 − T) / 2^56.</summary>
    public static double Probability(ulong threshold) =>
        threshold >= MaxAdjustedCount ? 0 : (double)(MaxAdjustedCount - threshold) / MaxAdjustedCount;

    /// <summary>The number of items each kept item stands for: 1 / probability (infinity for <see cref="NeverKeep"/>).</summary>
    public static double AdjustedCount(ulong threshold) => 1 / Probability(threshold);

    /// <summary>True when an item with randomness <paramref name="randomness"/> is kept by <paramref name="threshold"/>.</summary>
    public static bool Keeps(ulong randomness, ulong threshold) => randomness >= threshold;

    /// <summary>The <c>th</c> value of a threshold: hex without trailing zeros, <c>0</c> for probability 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The threshold is not below 2^56.</exception>
    public static string FormatThreshold(ulong threshold)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threshold, Mask56);
        if (threshold == 0)
        {
            return "0";
        }

        return threshold.ToString("x14", CultureInfo.InvariantCulture).TrimEnd('0');
    }

    /// <summary>Reads a <c>th</c> value: 1 to 14 hex digits, the missing ones being trailing zeros.</summary>
    public static bool TryParseThreshold(ReadOnlySpan<char> text, out ulong threshold)
    {
        threshold = 0;
        if (text.Length is 0 or > HexDigits || !IsLowerHex(text))
        {
            return false;
        }

        threshold = ulong.Parse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture) << (4 * (HexDigits - text.Length));
        return true;
    }

    /// <summary>Reads an <c>rv</c> value: exactly 14 hex digits.</summary>
    public static bool TryParseRandomness(ReadOnlySpan<char> text, out ulong randomness)
    {
        randomness = 0;
        if (text.Length != HexDigits || !IsLowerHex(text))
        {
            return false;
        }

        randomness = ulong.Parse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        return true;
    }

    /// <summary>The <c>rv</c> value of a randomness: 14 hex digits.</summary>
    public static string FormatRandomness(ulong randomness) =>
        (randomness & Mask56).ToString("x14", CultureInfo.InvariantCulture);

    /// <summary>
    /// The randomness of a trace id: its last 7 bytes read as a big-endian number (W3C Trace Context
    /// level 2). An id that is not 16 bytes has randomness 0, which only probability 1 keeps.
    /// </summary>
    public static ulong RandomnessFromTraceId(ReadOnlySpan<byte> traceId) =>
        traceId.Length == 16 ? BinaryPrimitives.ReadUInt64BigEndian(traceId[8..]) & Mask56 : 0;

    /// <inheritdoc cref="RandomnessFromTraceId(ReadOnlySpan{byte})"/>
    public static ulong RandomnessFromTraceId(ByteString traceId)
    {
        ArgumentNullException.ThrowIfNull(traceId);
        return RandomnessFromTraceId(traceId.Span);
    }

    private static bool IsLowerHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }
}
