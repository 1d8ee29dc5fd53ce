namespace OtlpFlow.Operators.Files;

/// <summary>How a telemetry file encodes its export requests.</summary>
public enum FileFormat
{
    /// <summary>OTLP/JSON, one export request per line (as the OpenTelemetry Collector's file exporter writes).</summary>
    Json,

    /// <summary>Binary OTLP: export requests of one signal, each preceded by its length as a varint.</summary>
    Protobuf,
}
