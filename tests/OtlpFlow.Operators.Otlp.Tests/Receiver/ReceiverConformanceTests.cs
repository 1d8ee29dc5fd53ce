using System.Net;
using System.Text;
using Google.Protobuf;
using OtlpFlow.Conformance;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Otlp.Tests.Support;

namespace OtlpFlow.Operators.Otlp.Tests.Receiver;

/// <summary>
/// OpenTelemetry's own OTLP/JSON (the official examples and the Collector's pdata vectors, in
/// tests/Conformance/data) posted to <c>otlp.receiver</c> over OTLP/HTTP JSON: each is answered
/// 200 and arrives as exactly the message the file holds, every field intact.
/// </summary>
public sealed class ReceiverConformanceTests : IDisposable
{
    private readonly HttpClient _client = Requests.Client();

    public void Dispose() => _client.Dispose();

    public static TheoryData<string> Files() => ConformanceData.OtlpJsonCases();

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Every_official_example_is_received_over_http_json_with_every_field(string file)
    {
        var json = ConformanceData.ReadText(file);
        var expected = OtlpJson.Parse(json);
        var batch = TelemetryBatch.Create(expected);
        var path = batch.Signal switch
        {
            Signal.Traces => "v1/traces",
            Signal.Metrics => "v1/metrics",
            _ => "v1/logs",
        };
        var probe = Probe.Create();
        await using var pipeline = await TestPipeline.StartAsync($$"""
            { "operators": {
                "in":  { "type": "otlp.receiver", "http": "127.0.0.1:0" },
                "out": { "type": "test.probe", "inputs": ["in"], "name": "{{probe.Name}}" } } }
            """);

        using var request = Requests.Post(pipeline.Http(), path, Encoding.UTF8.GetBytes(json), "application/json");
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // A request of metadata only (no data points) counts no items: wait for the batch itself.
        await Poll.UntilAsync(() => probe.Batches.Count > 0, "the request at the probe");
        var received = Assert.Single(probe.Batches).Payload;
        Assert.Equal(expected, received);
        OtlpJsonSemantics.AssertSameMeaning(json, OtlpJson.Format(received));
    }
}
