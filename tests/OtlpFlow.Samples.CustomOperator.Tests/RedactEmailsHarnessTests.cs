using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;

namespace OtlpFlow.Samples.CustomOperator.Tests;

// The plugin's operator inside a real pipeline, from its JSON options, as a pipeline file would load it.
public sealed class RedactEmailsHarnessTests
{
    [Fact]
    public async Task Redacts_inside_a_pipeline_and_answers_every_request()
    {
        await using var harness = await OperatorHarness.CreateAsync([typeof(RedactEmailsOperator).Assembly], "sample.redactEmails", """{ "keepDomain": true }""");
        var span = new Span { Name = "signup", Attributes = { new KeyValue { Key = "user.email", Value = new AnyValue { StringValue = "alice@example.com" } } } };

        var result = await harness.SendAsync(new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { span } } } } } });

        Assert.True(result.Succeeded);
        var value = Assert.Single(harness.Output().Batches).Traces!.ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes[0].Value.StringValue;
        Assert.Matches("^[0-9a-f]{16}@example.com$", value);
        await harness.CompleteAsync();
        harness.AssertConserved();
    }

    [Fact]
    public async Task A_misspelt_option_is_reported_as_validate_reports_it()
    {
        var error = await Assert.ThrowsAsync<PipelineValidationException>(() =>
            OperatorHarness.CreateAsync([typeof(RedactEmailsOperator).Assembly], "sample.redactEmails", """{ "keepDomian": true }"""));

        Assert.Contains("did you mean 'keepDomain'", Assert.Single(error.Errors).Message, StringComparison.Ordinal);
    }
}
