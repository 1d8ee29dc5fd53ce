using System.Globalization;
using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;

namespace OtlpFlow.Engine.Conditions;

/// <summary>What kind of value a <see cref="ConditionValue"/> holds.</summary>
internal enum ConditionValueKind : byte
{
    /// <summary>The field is absent (or does not apply to the signal).</summary>
    Missing,
    String,
    Int,
    Double,
    Bool,
    Bytes,

    /// <summary>Present but not comparable (an array or key-value list attribute).</summary>
    Other,
}

/// <summary>
/// A field's value while a condition is evaluated: a small struct so that reading a field never
/// allocates (strings and byte strings are references to the payload's own objects).
/// </summary>
internal readonly struct ConditionValue
{
    private readonly object? _reference;
    private readonly long _int;
    private readonly double _double;

    private ConditionValue(ConditionValueKind kind, object? reference, long integer, double number)
    {
        Kind = kind;
        _reference = reference;
        _int = integer;
        _double = number;
    }

    public static ConditionValue Missing => default;

    public static ConditionValue Other => new(ConditionValueKind.Other, null, 0, 0);

    public ConditionValueKind Kind { get; }

    public bool IsMissing => Kind == ConditionValueKind.Missing;

    public string String => (string)_reference!;

    public ByteString Bytes => (ByteString)_reference!;

    public long Int => _int;

    public double Double => _double;

    public bool Bool => _int != 0;

    public bool IsNumber => Kind is ConditionValueKind.Int or ConditionValueKind.Double;

    public double AsDouble => Kind == ConditionValueKind.Int ? _int : _double;

    public static ConditionValue FromString(string value) => new(ConditionValueKind.String, value, 0, 0);

    public static ConditionValue FromInt(long value) => new(ConditionValueKind.Int, null, value, 0);

    public static ConditionValue FromDouble(double value) => new(ConditionValueKind.Double, null, 0, value);

    public static ConditionValue FromBool(bool value) => new(ConditionValueKind.Bool, null, value ? 1 : 0, 0);

    /// <summary>Byte strings stand for trace and span ids; an empty one means "not set".</summary>
    public static ConditionValue FromBytes(ByteString value) =>
        value.IsEmpty ? Missing : new(ConditionValueKind.Bytes, value, 0, 0);

    public static ConditionValue FromAnyValue(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => FromString(value.StringValue),
        AnyValue.ValueOneofCase.IntValue => FromInt(value.IntValue),
        AnyValue.ValueOneofCase.DoubleValue => FromDouble(value.DoubleValue),
        AnyValue.ValueOneofCase.BoolValue => FromBool(value.BoolValue),
        AnyValue.ValueOneofCase.BytesValue => new(ConditionValueKind.Bytes, value.BytesValue, 0, 0),
        AnyValue.ValueOneofCase.ArrayValue or AnyValue.ValueOneofCase.KvlistValue => Other,
        _ => Missing,
    };

    /// <summary>The text a regular expression is matched against; null when the value has none.</summary>
    public string? ToMatchText() => Kind switch
    {
        ConditionValueKind.String => String,
        ConditionValueKind.Int => _int.ToString(CultureInfo.InvariantCulture),
        ConditionValueKind.Double => _double.ToString("R", CultureInfo.InvariantCulture),
        ConditionValueKind.Bool => Bool ? "true" : "false",
        ConditionValueKind.Bytes => Convert.ToHexStringLower(Bytes.Span),
        _ => null,
    };

    /// <summary>
    /// Equality as conditions see it: a missing or incomparable value equals nothing; numbers
    /// compare across integer and decimal; strings compare ordinally.
    /// </summary>
    public static bool AreEqual(in ConditionValue left, in ConditionValue right)
    {
        if (left.IsNumber && right.IsNumber)
        {
            return left.Kind == ConditionValueKind.Int && right.Kind == ConditionValueKind.Int
                ? left._int == right._int
                : left.AsDouble == right.AsDouble;
        }

        if (left.Kind != right.Kind)
        {
            return false;
        }

        return left.Kind switch
        {
            ConditionValueKind.String => string.Equals(left.String, right.String, StringComparison.Ordinal),
            ConditionValueKind.Bool => left._int == right._int,
            ConditionValueKind.Bytes => left.Bytes.Span.SequenceEqual(right.Bytes.Span),
            _ => false,
        };
    }

    /// <summary>Orders two values; false when they cannot be ordered (missing, different types, NaN, booleans).</summary>
    public static bool TryCompare(in ConditionValue left, in ConditionValue right, out int result)
    {
        result = 0;
        if (left.IsNumber && right.IsNumber)
        {
            if (left.Kind == ConditionValueKind.Int && right.Kind == ConditionValueKind.Int)
            {
                result = left._int.CompareTo(right._int);
                return true;
            }

            double a = left.AsDouble, b = right.AsDouble;
            if (double.IsNaN(a) || double.IsNaN(b))
            {
                return false;
            }

            result = a < b ? -1 : a > b ? 1 : 0;
            return true;
        }

        if (left.Kind != right.Kind)
        {
            return false;
        }

        switch (left.Kind)
        {
            case ConditionValueKind.String:
                result = string.CompareOrdinal(left.String, right.String);
                return true;
            case ConditionValueKind.Bytes:
                result = left.Bytes.Span.SequenceCompareTo(right.Bytes.Span);
                return true;
            default:
                return false;
        }
    }
}
