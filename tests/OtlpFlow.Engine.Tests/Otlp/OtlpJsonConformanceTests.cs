using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Conformance;
using OtlpFlow.Engine.Otlp;

namespace OtlpFlow.Engine.Tests.Otlp;

/// <summary>
/// OpenTelemetry's own OTLP/JSON (the official examples of opentelemetry-proto and the Collector's
/// pdata vectors, in tests/Conformance/data) parses and formats back with every field intact.
/// </summary>
public sealed class OtlpJsonConformanceTests
{
    public static TheoryData<string> Files() => ConformanceData.OtlpJsonCases();

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_official_example_parses_and_formats_back_with_every_field(string file)
    {
        var original = ConformanceData.ReadText(file);

        var parsed = OtlpJson.Parse(original);

        Assert.True(parsed.CalculateSize() > 0, $"{file} parsed to an empty request");
        OtlpJsonSemantics.AssertSameMeaning(original, OtlpJson.Format(parsed));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_official_example_reads_back_as_the_same_message(string file)
    {
        var parsed = OtlpJson.Parse(ConformanceData.ReadText(file));

        Assert.Equal(parsed, OtlpJson.Parse(OtlpJson.Format(parsed)));
        Assert.Equal(parsed, parsed.Descriptor.Parser.ParseFrom(parsed.ToByteArray()));
    }

    [Fact]
    public void The_comparison_names_the_path_of_a_lost_field_and_a_changed_value()
    {
        var original = ConformanceData.ReadText("opentelemetry-proto/examples/trace.json");
        var request = (ExportTraceServiceRequest)OtlpJson.Parse(original);
        var span = request.ResourceSpans[0].ScopeSpans[0].Spans[0];
        span.ParentSpanId = ByteString.Empty;
        span.Kind = OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Client;

        var differences = OtlpJsonSemantics.Differences(original, OtlpJson.Format(request));

        Assert.Contains("$.resourceSpans[0].scopeSpans[0].spans[0].parentSpanId: missing from ours", differences);
        Assert.Contains(differences, d => d.StartsWith("$.resourceSpans[0].scopeSpans[0].spans[0].kind: 2 against 3", StringComparison.Ordinal));
    }
}
