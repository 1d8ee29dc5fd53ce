using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Operators.Otlp.Tests.Support;

namespace OtlpFlow.Operators.Otlp.Tests.Receiver;

/// <summary>Option mistakes are reported by validation, before anything listens.</summary>
public sealed class OptionsValidationTests
{
    private static IReadOnlyList<PipelineError> Validate(string json) =>
        new PipelineBuilder(TestPipeline.Registry()).Validate(PipelineLoader.Parse(json, "test.json"));

    [Fact]
    public void A_receiver_without_any_endpoint_is_invalid()
    {
        var errors = Validate("""{ "operators": { "in": { "type": "otlp.receiver" }, "f": { "type": "file.writer", "inputs": ["in"], "path": "x.json" } } }""");
        Assert.Contains(errors, e => e.Message.Contains("'grpc' or 'http'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_receiver_endpoint_that_is_not_host_port_is_invalid()
    {
        var errors = Validate("""{ "operators": { "in": { "type": "otlp.receiver", "http": "nowhere" }, "f": { "type": "file.writer", "inputs": ["in"], "path": "x.json" } } }""");
        Assert.Contains(errors, e => e.Message.Contains("host:port", StringComparison.Ordinal));
    }

    [Fact]
    public void An_exporter_protocol_outside_the_three_is_invalid_and_the_three_are_valid()
    {
        static string Pipeline(string protocol) => $$"""{ "operators": { "g": { "type": "generate" }, "e": { "type": "otlp.exporter", "inputs": ["g"], "endpoint": "http://127.0.0.1:4317", "protocol": "{{protocol}}" } } }""";
        Assert.NotEmpty(Validate(Pipeline("http/xml")));
        Assert.Empty(Validate(Pipeline("grpc")));
        Assert.Empty(Validate(Pipeline("http/protobuf")));
        Assert.Empty(Validate(Pipeline("http/json")));
    }

    [Fact]
    public void Loadbalancing_takes_the_same_retry_keys_as_the_exporter_and_its_old_ones()
    {
        const string Full = """
            "retry": { "enabled": true, "backoff": "decorrelatedJitter", "initial": "100ms", "max": "2s", "factor": 3,
                       "jitterMode": "full", "jitter": 0.2, "maxAttempts": 4, "maxElapsed": "1m", "honorRetryAfter": false }
            """;
        const string Old = """
            "retry": { "enabled": true, "initial": "200ms", "max": "5s", "maxElapsed": "1m", "jitter": 0.3 }
            """;
        static string Pipeline(string type, string retry) => $$"""
            { "operators": { "g": { "type": "generate" },
                             "e": { "type": "{{type}}", "inputs": ["g"], {{(type == "loadbalancing" ? "\"endpoints\"" : "\"endpoint\"")}}: {{(type == "loadbalancing" ? "[\"http://127.0.0.1:4317\"]" : "\"http://127.0.0.1:4317\"")}}, {{retry}} } } }
            """;

        Assert.Empty(Validate(Pipeline("loadbalancing", Full)));
        Assert.Empty(Validate(Pipeline("otlp.exporter", Full)));
        Assert.Empty(Validate(Pipeline("loadbalancing", Old)));
        Assert.Contains(Validate(Pipeline("loadbalancing", """ "retry": { "initial": "1s", "max": "2s", "factor": 0.5 } """)), e => e.Message.Contains("factor", StringComparison.OrdinalIgnoreCase));
    }
}
