using Apache.Arrow;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// A column of doubles as written by <see cref="DoubleValues"/>: either plain 64-bit floats or,
/// when every value of the message is a decimal with at most <see cref="MaxExponent"/> places
/// (prices, ratios and amounts rounded for people), the values times 10^e as integers in a column
/// named <c>{name}_e{e}</c>. Such integers take a few bytes where the float's mantissa takes eight
/// noisy ones. Only exact round trips are scaled: every value must come back bit for bit.
/// </summary>
internal readonly struct DoubleColumn
{
    /// <summary>The most decimal places tried.</summary>
    public const int MaxExponent = 6;

    private static readonly double[] Powers = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

    // Integers up to 2^53 convert to doubles exactly.
    private const double LargestExact = 9_007_199_254_740_992;

    private readonly DoubleArray? _plain;
    private readonly IntegerColumn<long> _scaled;
    private readonly IArrowArray _array;
    private readonly double _power;

    private DoubleColumn(DoubleArray? plain, IntegerColumn<long> scaled, IArrowArray array, double power)
    {
        _plain = plain;
        _scaled = scaled;
        _array = array;
        _power = power;
    }

    /// <summary>Reads the double column called <paramref name="name"/>, plain or scaled.</summary>
    public static DoubleColumn Of(RecordBatch batch, string name)
    {
        if (batch.Schema.GetFieldIndex(name, StringComparer.Ordinal) >= 0)
        {
            var plain = batch.Column(name, StringComparer.Ordinal) as DoubleArray ?? throw new InvalidDataException($"Column '{name}' is not a double column.");
            return new DoubleColumn(plain, default, plain, 1);
        }

        for (var e = 0; e <= MaxExponent; e++)
        {
            var scaledName = $"{name}_e{e}";
            if (batch.Schema.GetFieldIndex(scaledName, StringComparer.Ordinal) >= 0)
            {
                var array = batch.Column(scaledName, StringComparer.Ordinal);
                return new DoubleColumn(null, new IntegerColumn<long>(array), array, Powers[e]);
            }
        }

        throw new InvalidDataException($"The table has no column '{name}'.");
    }

    public bool IsNull(int row) => _array.IsNull(row);

    public double this[int row] => _plain is not null ? _plain.Values[row] : _scaled[row] / _power;

    /// <summary>10 to the power <paramref name="exponent"/>.</summary>
    public static double Power(int exponent) => Powers[exponent];

    /// <summary>Whether <paramref name="value"/> is a decimal with at most <paramref name="exponent"/> places.</summary>
    public static bool Fits(double value, int exponent) => Fits(value, Powers[exponent], out _);

    /// <summary>Whether <paramref name="value"/> times <paramref name="power"/> is an integer that gives the value back bit for bit.</summary>
    public static bool Fits(double value, double power, out long scaled)
    {
        var rounded = Math.Round(value * power);
        if (!(Math.Abs(rounded) < LargestExact))
        {
            scaled = 0;
            return false;
        }

        scaled = (long)rounded;
        return BitConverter.DoubleToInt64Bits(scaled / power) == BitConverter.DoubleToInt64Bits(value);
    }
}
