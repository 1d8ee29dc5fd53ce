namespace OtlpFlow.Operators.Flow;

/// <summary>What a batch's size is measured in.</summary>
public enum BatchUnit
{
    /// <summary>Spans, data points or log records.</summary>
    Items,

    /// <summary>Encoded protobuf bytes.</summary>
    Bytes,
}
