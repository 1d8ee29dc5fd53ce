using System.Text.Json.Serialization;

namespace OtlpFlow.Operators.Otlp.Exporter;

/// <summary>The OTLP transport an exporter speaks.</summary>
public enum OtlpProtocol
{
    /// <summary>OTLP/gRPC (<c>"grpc"</c>).</summary>
    [JsonStringEnumMemberName("grpc")]
    Grpc,

    /// <summary>OTLP/HTTP with protobuf bodies (<c>"http/protobuf"</c>).</summary>
    [JsonStringEnumMemberName("http/protobuf")]
    HttpProtobuf,

    /// <summary>OTLP/HTTP with JSON bodies (<c>"http/json"</c>).</summary>
    [JsonStringEnumMemberName("http/json")]
    HttpJson,
}
