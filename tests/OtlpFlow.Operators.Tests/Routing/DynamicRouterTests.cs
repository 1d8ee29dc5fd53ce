using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Routing;
using OtlpFlow.Operators.Tests.Files;
using OtlpFlow.Operators.Tests.Flow;
using static OpenTelemetry.Proto.Trace.V1.Status.Types;

namespace OtlpFlow.Operators.Tests.Routing;

public sealed class DynamicRouterTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Rules(string json, string name = "rules.json")
    {
        var path = _dir.File(name);
        File.WriteAllText(path + ".tmp", json);
        File.Move(path + ".tmp", path, overwrite: true); // whole files only: a reader never sees half a file
        return path;
    }

    [Fact]
    public async Task The_watched_file_is_reloaded_when_it_changes_and_the_new_rules_route_the_next_batch()
    {
        var time = new FakeTimeProvider();
        var path = Rules("""{ "routes": { "errors": "status.code == ERROR" }, "default": "rest" }""");
        await using var router = new DynamicRouterOperator(
            new DynamicRoutingOptions { RulesFile = path, Ports = ["errors", "rest"], ReloadInterval = TimeSpan.FromSeconds(1) },
            TestOperatorContext.Create(timeProvider: time));
        await router.StartAsync(default);
        var output = new RecordingOutput();
        var batch = RoutingTestData.Batch(RoutingTestData.Resource("a"), RoutingTestData.Span("e", 1, StatusCode.Error), RoutingTestData.Span("ok", 2));

        await router.ProcessAsync(batch, output, default);
        Rules("""{ "routes": { "rest": "name == \"e\"" }, "default": "errors" }""");
        time.Advance(TimeSpan.FromSeconds(1));
        await router.ProcessAsync(RoutingTestData.Batch(RoutingTestData.Resource("a"), RoutingTestData.Span("e", 1), RoutingTestData.Span("ok", 2)), output, default);

        Assert.Equal(2, router.RulesVersion);
        Assert.Equal(["e", "ok"], RoutingTestData.SpanNames(output.On("errors")));
        Assert.Equal(["ok", "e"], RoutingTestData.SpanNames(output.On("rest")));
    }

    [Fact]
    public async Task An_invalid_rules_file_keeps_the_current_rules_and_says_why()
    {
        var path = Rules("""{ "routes": { "errors": "status.code == ERROR" }, "default": "rest" }""");
        await using var router = new DynamicRouterOperator(
            new DynamicRoutingOptions { RulesFile = path, Ports = ["errors", "rest"] }, TestOperatorContext.Create());
        await router.StartAsync(default);

        Rules("""{ "routes": { "nowhere": "true" } }""");
        Assert.False(router.TryReload(out var unknownPort));
        Rules("""{ "routes": { "errors": "status.code == " } }""");
        Assert.False(router.TryReload(out var badCondition));

        Assert.Contains("nowhere", unknownPort, StringComparison.Ordinal);
        Assert.Contains("column", badCondition, StringComparison.Ordinal);
        Assert.Equal(1, router.RulesVersion);
    }

    [Fact]
    public async Task A_missing_rules_file_fails_the_start()
    {
        await using var router = new DynamicRouterOperator(
            new DynamicRoutingOptions { RulesFile = _dir.File("none.json"), Ports = ["a"] }, TestOperatorContext.Create());
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => router.StartAsync(default));
        Assert.Contains("none.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rules_swapped_under_load_lose_nothing_and_route_later_data_the_new_way()
    {
        var path = Rules("""{ "routes": { "x": "true" } }""");
        await using var pipeline = await RoutingTestData.StartAsync($$"""
        { "defaults": { "capacity": 4 },
          "operators": {
            "gen":   { "type": "generate", "count": 200000, "batchSize": 100, "rate": 300000, "seed": 8 },
            "route": { "type": "routing.dynamic", "inputs": ["gen"], "rulesFile": {{JsonSerializer.Serialize(path)}},
                       "ports": ["x", "y"], "reloadInterval": "20ms" },
            "x": { "type": "test.count", "inputs": ["route.x"] },
            "y": { "type": "test.count", "inputs": ["route.y"] } } }
        """);
        var x = (CountingSink)pipeline.Operators["x"];
        var y = (CountingSink)pipeline.Operators["y"];
        await Poll.UntilAsync(() => x.Items > 20_000, "data flows to x");

        Rules("""{ "routes": { "y": "true" } }""");
        await Poll.UntilAsync(() => y.Items > 0, "the new rules send data to y");
        var xAtSwap = x.Items;
        await pipeline.Completion;

        Assert.Equal(200_000, x.Items + y.Items);
        // Batches the router sent to x before the swap may still be on x's edge (capacity 4), in x's
        // write, or in the router's send when y's first batch lands: at most 6 batches of 100. Every
        // later batch goes to y.
        Assert.InRange(x.Items - xAtSwap, 0, 6 * 100);
        Assert.True(y.Items > 0 && x.Items > 0);
        Assert.True(pipeline.Counters["route"].Balanced, pipeline.Counters["route"].ToString());
    }

    [Fact]
    public async Task A_route_whose_port_keeps_failing_is_skipped_for_the_default()
    {
        var path = Rules("""{ "routes": { "bad": "true" }, "default": "good" }""");
        await using var pipeline = await RoutingTestData.RunAsync($$"""
        { "defaults": { "capacity": 1 },
          "operators": {
            "gen":   { "type": "generate", "count": 10000, "batchSize": 50, "seed": 8 },
            "route": { "type": "routing.dynamic", "inputs": ["gen"], "rulesFile": {{JsonSerializer.Serialize(path)}},
                       "ports": ["bad", "good"], "ejection": { "consecutiveFailures": 3, "ejectFor": "1h" } },
            "bad":  { "type": "test.failEach", "inputs": ["route.bad"] },
            "good": { "type": "test.count", "inputs": ["route.good"] } } }
        """);

        var good = (CountingSink)pipeline.Operators["good"];
        var failed = pipeline.Counters["bad"].ItemsIn;
        Assert.Equal(10000, good.Items + failed);
        Assert.True(failed <= 10 * 50, $"{failed} items went to the failing port");
    }
}
