using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;

namespace OtlpFlow.Operators.Generator;

/// <summary>Builds attributes. Every call makes new messages: batches must never share mutable parts.</summary>
internal static class SyntheticAttributes
{
    public static KeyValue Str(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    public static KeyValue Int(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    public static KeyValue Double(string key, double value) => new() { Key = key, Value = new AnyValue { DoubleValue = value } };

    public static KeyValue Bool(string key, bool value) => new() { Key = key, Value = new AnyValue { BoolValue = value } };

    public static KeyValue Bytes(string key, ByteString value) => new() { Key = key, Value = new AnyValue { BytesValue = value } };

    public static KeyValue Of(string key, AnyValue value) => new() { Key = key, Value = value };

    public static AnyValue StrValue(string value) => new() { StringValue = value };

    public static AnyValue IntValue(long value) => new() { IntValue = value };

    public static AnyValue DoubleValue(double value) => new() { DoubleValue = value };

    public static AnyValue BoolValue(bool value) => new() { BoolValue = value };
}
