using OpenTelemetry.Exporter;

namespace OtlpFlow.Operators.Otlp.Tests.Support;

/// <summary>Points the OpenTelemetry SDK's OTLP exporter at a test receiver.</summary>
internal static class SdkExport
{
    public static void Configure(OtlpExporterOptions options, TestPipeline pipeline, string protocol, string signalPath)
    {
        if (protocol == "grpc")
        {
            options.Protocol = OtlpExportProtocol.Grpc;
            options.Endpoint = pipeline.Grpc();
        }
        else
        {
            // Set in code, the HTTP endpoint is used as given, so it names the signal's path.
            options.Protocol = OtlpExportProtocol.HttpProtobuf;
            options.Endpoint = new Uri(pipeline.Http(), signalPath);
        }

        options.ExportProcessorType = OpenTelemetry.ExportProcessorType.Simple;
        options.TimeoutMilliseconds = 30_000;
    }
}
