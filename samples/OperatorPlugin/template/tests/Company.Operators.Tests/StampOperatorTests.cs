using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;

namespace Company.Operators.Tests;

public sealed class StampOperatorTests
{
    private static readonly System.Reflection.Assembly[] Plugin = [typeof(StampOperator).Assembly];

    [Fact]
    public async Task Every_resource_gets_the_attribute()
    {
        // The harness runs the operator inside a real pipeline built from its JSON options.
        await using var harness = await OperatorHarness.CreateAsync(Plugin, "company.operators.stamp", """{ "key": "team", "value": "payments" }""");
        var request = new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { new Span { Name = "checkout" } } } } } } };

        var result = await harness.SendAsync(request);

        Assert.True(result.Succeeded);
        var resource = harness.Output().Batches.Single().Traces!.ResourceSpans[0].Resource;
        Assert.Equal("payments", resource.Attributes.Single(a => a.Key == "team").Value.StringValue);
        await harness.CompleteAsync();
        harness.AssertConserved();
    }

    [Fact]
    public async Task A_missing_value_is_reported_as_validate_reports_it()
    {
        var error = await Assert.ThrowsAsync<PipelineValidationException>(() => OperatorHarness.CreateAsync(Plugin, "company.operators.stamp", """{ "key": "team" }"""));

        Assert.Contains("value", Assert.Single(error.Errors).Message, StringComparison.OrdinalIgnoreCase);
    }
}
