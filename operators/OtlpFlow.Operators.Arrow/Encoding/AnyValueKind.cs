namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>The type column of a value: which value column holds it.</summary>
internal static class AnyValueKind
{
    /// <summary>An AnyValue with no value set.</summary>
    public const byte Empty = 0;
    public const byte String = 1;
    public const byte Bool = 2;
    public const byte Int = 3;
    public const byte Double = 4;
    public const byte Bytes = 5;

    /// <summary>An array or key-value list, kept as the serialized AnyValue in the bytes column.</summary>
    public const byte Nested = 6;

    /// <summary>No AnyValue at all (a key without a value, a log record without a body).</summary>
    public const byte Absent = 255;
}
