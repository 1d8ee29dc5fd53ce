using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;

namespace OtlpFlow.Samples.OperatorPlugin.Tests;

public sealed class SpanCountsTests
{
    private static readonly System.Reflection.Assembly[] Plugin = [typeof(SpanCountsOperator).Assembly];

    [Theory]
    [InlineData("""{ "windw": "5s" }""", "'windw' unknown option; did you mean 'window'?")]
    [InlineData("""{ "window": "0s" }""", "window")]
    [InlineData("""{ "window": "soon" }""", "window")]
    public async Task Option_errors_are_reported_as_validate_reports_them(string options, string expected)
    {
        var error = await Assert.ThrowsAsync<PipelineValidationException>(() => OperatorHarness.CreateAsync(Plugin, "sample.spanCounts", options));

        var only = Assert.Single(error.Errors);
        Assert.Contains(expected, only.Message, StringComparison.Ordinal);
        Assert.Equal((1, 3), (only.Line, only.Column));
    }

    [Fact]
    public async Task Spans_pass_on_and_each_window_emits_the_counts_per_service()
    {
        await using var harness = await OperatorHarness.CreateAsync(Plugin, "sample.spanCounts", """{ "window": "10s" }""");
        var windowStart = harness.TimeProvider.GetUtcNow();

        var first = harness.SendAsync(Spans.Request("checkout", 3, errors: 1));
        var second = harness.SendAsync(Spans.Request("cart", 2));
        await harness.WhenIdleAsync();
        Assert.Empty(harness.Output("metrics").Batches);

        harness.AdvanceTime(TimeSpan.FromSeconds(10));
        await Poll.UntilAsync(() => harness.Output("metrics").Batches.Count == 1, "the window's metrics");

        var metrics = (ExportMetricsServiceRequest)harness.Output("metrics").Batches[0].Payload;
        Assert.Equal(["cart", "checkout"], metrics.ResourceMetrics.Select(r => r.Resource.Attributes.Single(a => a.Key == "service.name").Value.StringValue));
        var checkout = Points(metrics, "checkout");
        Assert.Equal(3, checkout["spans"].AsInt);
        Assert.Equal(1, checkout["spans.errors"].AsInt);
        Assert.Equal(4.5, checkout["spans.duration"].AsDouble, 9);
        Assert.Equal(2, Points(metrics, "cart")["spans"].AsInt);
        var point = checkout["spans"];
        Assert.Equal(UnixNanos(windowStart), point.StartTimeUnixNano);
        Assert.Equal(UnixNanos(windowStart + TimeSpan.FromSeconds(10)), point.TimeUnixNano);

        Assert.Equal(5, harness.Output().Items);
        Assert.True((await first).Succeeded);
        Assert.True((await second).Succeeded);
        await harness.CompleteAsync();
        Assert.Single(harness.Output("metrics").Batches);   // nothing counted since: the flush has nothing to emit
        Assert.Equal(6, harness.Counters.ItemsCreated);      // 3 points per service
        harness.AssertConserved();
    }

    [Fact]
    public async Task A_drain_emits_the_open_window()
    {
        await using var harness = await OperatorHarness.CreateAsync(Plugin, "sample.spanCounts", """{ "window": "1m" }""");

        Assert.True((await harness.SendAsync(Spans.Request("checkout", 4, errors: 2))).Succeeded);
        await harness.CompleteAsync();

        var metrics = (ExportMetricsServiceRequest)harness.Output("metrics").Batches.Single().Payload;
        Assert.Equal(2, Points(metrics, "checkout")["spans.errors"].AsInt);
        harness.AssertConserved();
    }

    [Fact]
    public async Task A_held_output_holds_the_operator_back_and_loses_nothing()
    {
        await using var harness = await OperatorHarness.CreateAsync(
            Plugin, "sample.spanCounts", """{ "window": "10s", "capacity": 1 }""", new OperatorHarnessOptions { OutputCapacity = 1 });
        harness.Output().Hold();

        var sends = Enumerable.Range(0, 8).Select(_ => harness.SendAsync(Spans.Request("checkout", 1))).ToArray();
        await Poll.UntilAsync(() => harness.Waiting > 0, "senders to wait for room");
        Assert.DoesNotContain(sends, s => s.IsCompleted);

        harness.Output().Release();
        await harness.CompleteAsync();

        Assert.All(await Task.WhenAll(sends), r => Assert.True(r.Succeeded));
        Assert.Equal(8, harness.Output().Items);
        Assert.Equal(8, Points((ExportMetricsServiceRequest)harness.Output("metrics").Batches.Single().Payload, "checkout")["spans"].AsInt);
        harness.AssertConserved();
    }

    private static Dictionary<string, NumberDataPoint> Points(ExportMetricsServiceRequest metrics, string service) =>
        metrics.ResourceMetrics
            .Single(r => r.Resource.Attributes.Single(a => a.Key == "service.name").Value.StringValue == service)
            .ScopeMetrics.SelectMany(s => s.Metrics)
            .ToDictionary(m => m.Name, m => m.Sum.DataPoints.Single());

    private static ulong UnixNanos(DateTimeOffset time) => (ulong)(time - DateTimeOffset.UnixEpoch).Ticks * 100;

}
