using OtlpFlow.Engine.Conditions;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Routing;
using OtlpFlow.Operators.Tests.Flow;
using static OpenTelemetry.Proto.Trace.V1.Status.Types;

namespace OtlpFlow.Operators.Tests.Routing;

public sealed class ContentRouterTests
{
    private static ContentRouterOperator Router(Dictionary<string, string> routes, string? fallback = "rest", bool matchOnce = true) => new(
        new ContentRoutingOptions
        {
            Routes = routes.ToDictionary(r => r.Key, r => Condition.Parse(r.Value)),
            Default = fallback,
            MatchOnce = matchOnce,
        },
        TestOperatorContext.Create());

    [Fact]
    public async Task Items_are_split_by_the_first_matching_route_keeping_resource_and_scope()
    {
        var router = Router(new() { ["errors"] = "status.code == ERROR", ["checkout"] = "service == \"checkout\"" });
        var output = new RecordingOutput();
        var batch = RoutingTestData.Batch(
            (RoutingTestData.Resource("checkout"), RoutingTestData.Span("e1", 1, StatusCode.Error)),
            (RoutingTestData.Resource("checkout"), RoutingTestData.Span("c1", 2)),
            (RoutingTestData.Resource("billing"), RoutingTestData.Span("r1", 3)));

        await router.ProcessAsync(batch, output, default);

        Assert.Equal(["e1"], RoutingTestData.SpanNames(output.On("errors")));
        Assert.Equal(["c1"], RoutingTestData.SpanNames(output.On("checkout")));
        Assert.Equal(["r1"], RoutingTestData.SpanNames(output.On("rest")));
        var part = output.On("errors").Single().Traces!.ResourceSpans.Single();
        Assert.Equal("checkout", part.Resource.Attributes.Single(a => a.Key == "service.name").Value.StringValue);
        Assert.Equal("lib", part.ScopeSpans.Single().Scope.Name);
        Assert.Equal(["errors", "checkout", "rest"], router.OutputPorts);
    }

    [Fact]
    public async Task A_batch_that_goes_wholly_to_one_route_goes_on_as_it_is()
    {
        var router = Router(new() { ["errors"] = "status.code == ERROR" });
        var output = new RecordingOutput();
        var batch = RoutingTestData.Batch(RoutingTestData.Resource("a"), RoutingTestData.Span("x", 1), RoutingTestData.Span("y", 2));

        await router.ProcessAsync(batch, output, default);

        Assert.Same(batch, output.On("rest").Single());
        Assert.Empty(output.On("errors"));
    }

    [Fact]
    public async Task With_every_match_an_item_goes_to_each_route_it_matches()
    {
        var router = Router(new() { ["errors"] = "status.code == ERROR", ["slowish"] = "name =~ \"^e\"" }, fallback: "rest", matchOnce: false);
        var output = new RecordingOutput();
        var batch = RoutingTestData.Batch(RoutingTestData.Resource("a"),
            RoutingTestData.Span("e1", 1, StatusCode.Error), RoutingTestData.Span("e2", 2), RoutingTestData.Span("z", 3));

        await router.ProcessAsync(batch, output, default);

        Assert.Equal(["e1"], RoutingTestData.SpanNames(output.On("errors")));
        Assert.Equal(["e1", "e2"], RoutingTestData.SpanNames(output.On("slowish")));
        Assert.Equal(["z"], RoutingTestData.SpanNames(output.On("rest")));
    }

    [Fact]
    public async Task Without_a_default_unmatched_items_are_dropped_as_unmatched()
    {
        var router = Router(new() { ["errors"] = "status.code == ERROR" }, fallback: null);
        var output = new RecordingOutput();
        var batch = RoutingTestData.Batch(RoutingTestData.Resource("a"), RoutingTestData.Span("e", 1, StatusCode.Error), RoutingTestData.Span("ok", 2));

        await router.ProcessAsync(batch, output, default);

        Assert.Equal(["e"], RoutingTestData.SpanNames(output.On("errors")));
        Assert.Equal(["ok"], RoutingTestData.SpanNames(output.On("dropped")));
        Assert.Equal(1, output.Dropped["unmatched"]);
    }

    [Fact]
    public async Task In_a_pipeline_every_item_leaves_by_exactly_one_port()
    {
        await using var pipeline = await RoutingTestData.RunAsync("""
        { "operators": {
            "gen":   { "type": "generate", "count": 30000, "batchSize": 300, "seed": 4 },
            "route": { "type": "routing.content", "inputs": ["gen"],
                       "routes": { "server": "kind == SERVER", "client": "kind == CLIENT" }, "default": "other" },
            "s": { "type": "test.count", "inputs": ["route.server"] },
            "c": { "type": "test.count", "inputs": ["route.client"] },
            "o": { "type": "test.count", "inputs": ["route.other"] } } }
        """);

        var sinks = new[] { "s", "c", "o" }.Select(id => (CountingSink)pipeline.Operators[id]).ToArray();
        Assert.Equal(30000, sinks.Sum(s => s.Items));
        Assert.All(sinks, s => Assert.True(s.Items > 0));
        Assert.All(sinks[0].Received.SelectMany(RoutingTestData.Spans), s => Assert.Equal(OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Server, s.Kind));
        Assert.True(pipeline.Counters["route"].Balanced);
    }

    [Fact]
    public void A_bad_condition_is_reported_with_the_route_and_column()
    {
        var errors = new Engine.Pipeline.PipelineBuilder(RoutingTestData.Registry()).Validate(Engine.Pipeline.PipelineLoader.Parse("""
        { "operators": {
            "gen":   { "type": "generate", "count": 1 },
            "route": { "type": "routing.content", "inputs": ["gen"], "routes": { "errors": "status.code = ERROR" } },
            "s": { "type": "test.count", "inputs": ["route.errors"] } } }
        """, "bad.json"));
        Assert.Contains(errors, e => e.ToString().Contains("errors", StringComparison.Ordinal) && e.ToString().Contains("column 13", StringComparison.Ordinal));
    }
}
