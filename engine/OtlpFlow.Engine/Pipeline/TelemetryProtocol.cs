using System.Text.Json.Serialization;

namespace OtlpFlow.Engine.Pipeline;

/// <summary>How self-telemetry is sent over OTLP; written as the <c>otlp.exporter</c> writes its protocols.</summary>
public enum TelemetryProtocol
{
    /// <summary>OTLP over gRPC (usually port 4317): <c>"grpc"</c>.</summary>
    [JsonStringEnumMemberName("grpc")]
    Grpc,

    /// <summary>OTLP over HTTP with protobuf bodies (usually port 4318, path <c>/v1/metrics</c>): <c>"http/protobuf"</c>.</summary>
    [JsonStringEnumMemberName("http/protobuf")]
    HttpProtobuf,
}
