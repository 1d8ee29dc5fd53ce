using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Operators.Otlp.Exporter;
using OtlpFlow.Operators.Otlp.Tests.Support;

namespace OtlpFlow.Operators.Otlp.Tests.Resilience;

public sealed class ExporterResilienceOptionsTests
{
    private static string Pipeline(string keys) => $$"""
        { "operators": {
            "gen": { "type": "generate", "count": 1 },
            "exp": { "type": "otlp.exporter", "inputs": ["gen"], "endpoint": "http://127.0.0.1:1", {{keys}} } } }
        """;

    [Fact]
    public async Task Timeout_takes_a_duration_or_an_adaptive_object_and_breaker_and_budget_bind()
    {
        await using var fixedTimeout = new PipelineBuilder(TestPipeline.Registry()).Build(PipelineLoader.Parse(Pipeline("\"timeout\": \"3s\"")));
        var plain = (OtlpExporterOperator)fixedTimeout.Operators["exp"];
        Assert.Equal(TimeSpan.FromSeconds(3), plain.CurrentTimeout);
        Assert.Null(plain.Breaker);
        Assert.Null(plain.RetryBudget);

        await using var adaptive = new PipelineBuilder(TestPipeline.Registry()).Build(PipelineLoader.Parse(Pipeline("""
            "timeout": { "adaptive": true, "duration": "4s", "floor": "50ms", "ceiling": "8s" },
            "breaker": { "consecutiveFailures": 3, "breakFor": "1s" },
            "retryBudget": { "ratio": 0.1 },
            "retry": { "backoff": "decorrelatedJitter", "maxAttempts": 4, "jitter": 0.2 }
            """)));
        var exporter = (OtlpExporterOperator)adaptive.Operators["exp"];
        Assert.Equal(TimeSpan.FromSeconds(4), exporter.CurrentTimeout);
        Assert.NotNull(exporter.Breaker);
        Assert.NotNull(exporter.RetryBudget);
    }

    [Fact]
    public void A_misspelt_key_inside_timeout_or_breaker_is_reported_with_its_path()
    {
        var errors = new PipelineBuilder(TestPipeline.Registry()).Validate(PipelineLoader.Parse(Pipeline("""
            "timeout": { "adaptive": true, "flor": "50ms" }, "breaker": { "breakFr": "1s" }
            """)));

        Assert.Contains(errors, e => e.Message.Contains("timeout.flor", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Message.Contains("breaker.breakFr", StringComparison.Ordinal));
    }
}
