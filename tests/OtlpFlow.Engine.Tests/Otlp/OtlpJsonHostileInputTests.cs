using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Otlp;

namespace OtlpFlow.Engine.Tests.Otlp;

/// <summary>
/// Input that once escaped the decoder as an unexpected exception (a bare 500 at a receiver, a
/// stopped pipeline at file.reader), and valid input it refused: the protobuf JSON mapping that
/// OTLP/JSON follows accepts URL-safe and unpadded base64.
/// </summary>
public sealed class OtlpJsonHostileInputTests
{
    [Theory]
    [InlineData("""{"resourceSpans":[],"resourceSpans":[]}""")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a","name":"b"}]}]}]}""")]
    [InlineData("""{"resourceSpans":[{"resource":{"attributes":[]},"resource":{"attributes":[]}}]}""")]
    public void A_repeated_key_is_an_OTLP_JSON_error(string json)
    {
        var error = Assert.Throws<OtlpJsonException>(() => OtlpJson.Parse(json));
        Assert.Contains("Invalid OTLP/JSON", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"\ud800"}]}]}]}""")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a\udfffb"}]}]}]}""")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"\ud800","value":{"stringValue":"x"}}]}]}]}]}""")]
    public void A_lone_surrogate_escape_is_an_OTLP_JSON_error(string json)
    {
        var error = Assert.Throws<OtlpJsonException>(() => OtlpJson.Parse(json));
        Assert.Contains("Invalid OTLP/JSON", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AAEC_f7_", new byte[] { 0x00, 0x01, 0x02, 0xFD, 0xFE, 0xFF })]
    [InlineData("AAECAw", new byte[] { 0x00, 0x01, 0x02, 0x03 })]
    [InlineData("AAECAw==", new byte[] { 0x00, 0x01, 0x02, 0x03 })]
    [InlineData("AAEC-f7-", new byte[] { 0x00, 0x01, 0x02, 0xF9, 0xFE, 0xFE })]
    [InlineData("AA", new byte[] { 0x00 })]
    public void Bytes_values_are_read_in_standard_and_url_safe_base64_with_or_without_padding(string base64, byte[] expected)
    {
        var json = """{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"b","value":{"bytesValue":"B64"}},{"key":"l","value":{"arrayValue":{"values":[{"bytesValue":"B64"}]}}}]}]}]}]}"""
            .Replace("B64", base64, StringComparison.Ordinal);
        var request = (ExportTraceServiceRequest)OtlpJson.Parse(json);
        var attributes = request.ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes;
        Assert.Equal(expected, attributes[0].Value.BytesValue.ToByteArray());
        Assert.Equal(expected, attributes[1].Value.ArrayValue.Values[0].BytesValue.ToByteArray());
    }

    [Fact]
    public void Bytes_that_are_not_base64_are_an_OTLP_JSON_error()
    {
        var json = """{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"b","value":{"bytesValue":"not base64!"}}]}]}]}]}""";
        Assert.Throws<OtlpJsonException>(() => OtlpJson.Parse(json));
    }
}
