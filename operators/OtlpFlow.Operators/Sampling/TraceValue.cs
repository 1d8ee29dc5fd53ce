namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// One attribute value (or tracestate) a held trace keeps for its policies, without the protobuf
/// objects it came from: a kind, 8 bytes of number or boolean, or a string.
/// </summary>
internal readonly struct TraceValue : IEquatable<TraceValue>
{
    private readonly long _bits;

    private TraceValue(int key, TraceValueKind kind, long bits, string? text)
    {
        Key = key;
        Kind = kind;
        _bits = bits;
        String = text;
    }

    /// <summary>The index of the attribute key among the keys the policies read, or <see cref="TraceValueExtractor.TraceStateKey"/>.</summary>
    public int Key { get; }

    public TraceValueKind Kind { get; }

    public long Int => _bits;

    public double Double => BitConverter.Int64BitsToDouble(_bits);

    public bool Bool => _bits != 0;

    public string? String { get; }

    public static TraceValue OfInt(int key, long value) => new(key, TraceValueKind.Int, value, null);

    public static TraceValue OfDouble(int key, double value) => new(key, TraceValueKind.Double, BitConverter.DoubleToInt64Bits(value), null);

    public static TraceValue OfBool(int key, bool value) => new(key, TraceValueKind.Bool, value ? 1 : 0, null);

    public static TraceValue OfString(int key, string value) => new(key, TraceValueKind.String, 0, value);

    public bool Equals(TraceValue other) =>
        Key == other.Key && Kind == other.Kind && _bits == other._bits && string.Equals(String, other.String, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is TraceValue other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Key, Kind, _bits, String);
}

/// <summary>The kinds of attribute value a tail policy can test.</summary>
internal enum TraceValueKind : byte
{
    String,
    Int,
    Double,
    Bool,
}
