using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Engine.Tests.Pipeline;

public sealed class DataPathTests
{
    [Fact]
    public async Task An_operator_that_mutates_gets_its_own_copy_at_a_fan_out()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":    { "type": "test.source", "batches": 5 },
            "rename": { "type": "test.mutating", "inputs": ["src"] },
            "seen":   { "type": "test.sink", "inputs": ["src"] },
            "after":  { "type": "test.sink", "inputs": ["rename"] } } }
        """);
        await p.StartAsync();
        await p.Completion;

        Assert.All(f.State.ReceivedBy("seen"), b => Assert.StartsWith("span-", b.Traces!.ResourceSpans[0].ScopeSpans[0].Spans[0].Name, StringComparison.Ordinal));
        Assert.All(f.State.ReceivedBy("after"), b => Assert.Equal("mutated", b.Traces!.ResourceSpans[0].ScopeSpans[0].Spans[0].Name));
    }

    [Fact]
    public async Task A_branch_that_mutates_further_down_gets_its_own_copy_at_the_fan_out()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":    { "type": "test.source", "batches": 5 },
            "split":  { "type": "test.split", "inputs": ["src"] },
            "rename": { "type": "test.mutating", "inputs": ["split"] },
            "seen":   { "type": "test.sink", "inputs": ["src"], "gate": "later" },
            "after":  { "type": "test.sink", "inputs": ["rename"] } } }
        """);
        await p.StartAsync();
        await EngineFixture.Eventually(() => f.State.ItemsReceivedBy("after") == 20, "the mutating branch to finish");
        f.State.Open("later");
        await p.Completion;

        Assert.Equal(20, f.State.ReceivedBy("seen").Sum(b => b.Traces!.ResourceSpans[0].ScopeSpans[0].Spans.Count(s => s.Name != "mutated")));
    }

    [Fact]
    public async Task Parallel_ordered_operators_keep_arrival_order()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":   { "type": "test.source", "batches": 200, "spansPerBatch": 1 },
            "pass":  { "type": "test.split", "inputs": ["src"], "parallelism": 4 },
            "sink":  { "type": "test.sink", "inputs": ["pass"] } } }
        """);
        await p.StartAsync();
        await p.Completion;

        var names = f.State.ReceivedBy("sink").Select(b => b.Traces!.ResourceSpans[0].ScopeSpans[0].Spans[0].Name).ToList();
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"span-{i}"), names);
    }

    [Fact]
    public async Task Data_sent_to_a_port_nobody_reads_is_counted_as_unrouted_and_refused()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":   { "type": "test.source", "batches": 3, "spansPerBatch": 2, "track": true },
            "route": { "type": "test.ports", "inputs": ["src"], "routes": ["a", "b"] },
            "sink":  { "type": "test.sink", "inputs": ["route.b"] } } }
        """);
        await p.StartAsync();
        await p.Completion;

        Assert.Equal(6, p.Counters["route"].DroppedByReason["unrouted"]);
        Assert.True(p.Counters["route"].Balanced);
        var results = await Task.WhenAll(f.State.Trackers.Select(t => t.Completion));
        Assert.All(results, r => { Assert.True(r.Succeeded); Assert.Equal(2, r.RefusedItems); });
    }

    [Fact]
    public async Task Acknowledgements_settle_when_every_derived_batch_is_delivered()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":   { "type": "test.source", "batches": 4, "spansPerBatch": 3, "track": true },
            "split": { "type": "test.split", "inputs": ["src"] },
            "sink":  { "type": "test.sink", "inputs": ["split"], "gate": "go" } } }
        """);
        await p.StartAsync();
        await EngineFixture.Eventually(() => p.Counters["sink"].BatchesIn >= 1, "a split batch to reach the sink");
        Assert.All(f.State.Trackers, t => Assert.False(t.Completion.IsCompleted));

        f.State.Open("go");
        await p.Completion;
        var results = await Task.WhenAll(f.State.Trackers.Select(t => t.Completion));
        Assert.Equal(4, results.Length);
        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.Equal(12, f.State.ItemsReceivedBy("sink"));
    }

    [Fact]
    public async Task Events_report_the_lifecycle()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":  { "type": "test.source", "batches": 1 },
            "sink": { "type": "test.sink", "inputs": ["src"] } } }
        """);
        var kinds = new List<PipelineEventKind>();
        using var subscription = p.Events.Subscribe(e => { lock (kinds) { kinds.Add(e.Kind); } });
        await p.StartAsync();
        await p.Completion;

        lock (kinds)
        {
            Assert.Equal(PipelineEventKind.Started, kinds[0]);
            Assert.Equal(2, kinds.Count(k => k == PipelineEventKind.OperatorCompleted));
            Assert.Equal(PipelineEventKind.Stopped, kinds[^1]);
        }
    }
}
