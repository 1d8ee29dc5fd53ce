namespace OtlpFlow.Operators.Otlp.Receiver;

/// <summary>How <c>otlp.receiver</c> passes a protobuf request on.</summary>
public enum OtlpForwarding
{
    /// <summary>
    /// As its checked bytes in pooled segments: a waiting request costs a few arrays instead of a
    /// graph of objects; operators that read the objects decode them once, while exporters,
    /// <c>batch</c> and <c>sampling.tail</c> use the bytes as they are.
    /// </summary>
    Encoded,

    /// <summary>As the objects the receiver decoded to check it: no second decode for operators that read objects.</summary>
    Objects,
}
