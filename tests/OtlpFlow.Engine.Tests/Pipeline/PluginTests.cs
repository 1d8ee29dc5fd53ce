using Microsoft.Extensions.DependencyInjection;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Tests.Pipeline;

/// <summary>Found in this assembly only through its attribute, when the assembly is listed under "plugins".</summary>
[Operator("plugin.upper", Description = "Upper-cases span names; exists to test plugin loading.")]
public sealed class UpperCaseNames(OperatorContext context) : ProcessorOperator(context)
{
    public override bool MutatesData => true;

    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        foreach (var span in batch.Traces!.ResourceSpans[0].ScopeSpans[0].Spans)
        {
            span.Name = span.Name.ToUpperInvariant();
        }

        return output.EmitAsync(batch, cancellationToken);
    }
}

public sealed class PluginTests
{
    [Fact]
    public async Task Operators_of_an_assembly_listed_under_plugins_can_be_used()
    {
        var fixture = new EngineFixture();
        var plugin = typeof(UpperCaseNames).Assembly.Location;
        var json = $$"""
        { "plugins": [ {{System.Text.Json.JsonSerializer.Serialize(plugin)}} ],
          "operators": {
            "src":   { "type": "test.source", "batches": 2 },
            "upper": { "type": "plugin.upper", "inputs": ["src"] },
            "sink":  { "type": "test.sink", "inputs": ["upper"] } } }
        """;
        Assert.False(fixture.Registry.TryGet("plugin.upper", out _));

        await using var pipeline = fixture.Build(json);
        await pipeline.StartAsync();
        await pipeline.Completion;

        Assert.All(fixture.State.ReceivedBy("sink"), b => Assert.StartsWith("SPAN-", b.Traces!.ResourceSpans[0].ScopeSpans[0].Spans[0].Name, StringComparison.Ordinal));
    }

    [Fact]
    public void A_plugin_that_cannot_be_loaded_is_reported_with_its_path()
    {
        var errors = new PipelineBuilder(new OperatorRegistry(), new ServiceCollection().BuildServiceProvider())
            .Validate(PipelineLoader.Parse("""{ "plugins": ["no/such/plugin.dll"], "operators": {} }""", "p.json"));

        var error = Assert.Single(errors);
        Assert.Contains($"plugin '{Path.GetFullPath("no/such/plugin.dll")}' could not be loaded: no such file", error.Message, StringComparison.Ordinal);
        Assert.Equal("$.plugins[0]", error.JsonPath);
    }
}
