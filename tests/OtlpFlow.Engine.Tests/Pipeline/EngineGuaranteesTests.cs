using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Engine.Tests.Pipeline;

/// <summary>The engine guarantees of docs/architecture.md, each shown on a running pipeline.</summary>
public sealed class EngineGuaranteesTests
{
    [Fact]
    public async Task Backpressure_a_stalled_sink_stops_the_source_within_the_edge_capacities_and_nothing_is_lost()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":  { "type": "test.source", "batches": 200, "spansPerBatch": 2 },
            "pass": { "type": "test.pass", "inputs": ["src"], "capacity": 2 },
            "sink": { "type": "test.sink", "inputs": ["pass"], "capacity": 2, "gate": "open" } } }
        """);
        await p.StartAsync();

        // The sink holds one batch at its gate and its queue fills; then pass holds one and fills; then src waits.
        await EngineFixture.Eventually(() => p.Counters["pass"].BatchesIn >= 4, "the edges to fill");
        var emittedWhileStalled = p.Counters["src"].BatchesOut;
        Assert.InRange(emittedWhileStalled, 4, 2 + 2 + 2); // both edge capacities plus one batch the source is trying to send
        Assert.Equal(0, f.State.ItemsReceivedBy("sink"));

        f.State.Open("open");
        await p.Completion;
        Assert.Equal(400, f.State.ItemsReceivedBy("sink"));
        Assert.All(p.Counters.Values, c => Assert.Equal(0, c.ItemsDropped));
    }

    [Fact]
    public async Task Fan_out_reaches_every_branch_and_a_slow_branch_slows_the_producer_without_drops()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "defaults": { "capacity": 2 },
          "operators": {
            "src":  { "type": "test.source", "batches": 100, "spansPerBatch": 3 },
            "fast": { "type": "test.sink", "inputs": ["src"] },
            "slow": { "type": "test.sink", "inputs": ["src"], "gate": "slow" } } }
        """);
        await p.StartAsync();

        await EngineFixture.Eventually(() => p.Counters["slow"].BatchesIn >= 3, "the slow branch to fill");
        var stalledAt = p.Counters["src"].BatchesOut;
        Assert.True(stalledAt <= 4, $"the producer should wait for the slow branch, but emitted {stalledAt} batches");
        Assert.True(f.State.ItemsReceivedBy("fast") <= stalledAt * 3);

        f.State.Open("slow");
        await p.Completion;
        Assert.Equal(300, f.State.ItemsReceivedBy("fast"));
        Assert.Equal(300, f.State.ItemsReceivedBy("slow"));
        Assert.Equal(0, p.Counters["src"].ItemsDropped);
    }

    [Fact]
    public async Task Fan_in_completes_only_after_every_input_has_completed()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "quick": { "type": "test.source", "batches": 2 },
            "late":  { "type": "test.source", "batches": 3, "holdUntil": "late-done" },
            "merge": { "type": "test.pass", "inputs": ["quick", "late"] },
            "sink":  { "type": "test.sink", "inputs": ["merge"] } } }
        """);
        var completed = new List<string>();
        using var subscription = p.Events.Subscribe(e =>
        {
            if (e.Kind == PipelineEventKind.OperatorCompleted)
            {
                lock (completed) { completed.Add(e.OperatorId!); }
            }
        });
        await p.StartAsync();

        await EngineFixture.Eventually(() => f.State.ItemsReceivedBy("sink") == 20, "both sources' data to arrive");
        await EngineFixture.Eventually(() => { lock (completed) { return completed.Contains("quick"); } }, "the quick source to complete");
        lock (completed)
        {
            Assert.DoesNotContain("merge", completed);
            Assert.DoesNotContain("sink", completed);
        }

        Assert.False(p.Completion.IsCompleted);

        f.State.Open("late-done");
        await p.Completion;
        lock (completed)
        {
            Assert.True(completed.IndexOf("late") < completed.IndexOf("merge"));
            Assert.True(completed.IndexOf("merge") < completed.IndexOf("sink"));
        }
    }

    [Fact]
    public async Task A_throwing_operator_fails_only_that_batch_and_the_pipeline_goes_on()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":  { "type": "test.source", "batches": 30, "spansPerBatch": 2, "boomEvery": 3, "track": true },
            "risky": { "type": "test.throwing", "inputs": ["src"] },
            "sink": { "type": "test.sink", "inputs": ["risky"] } } }
        """);
        await p.StartAsync();
        await p.Completion;

        Assert.Equal(20 * 2, f.State.ItemsReceivedBy("sink"));
        Assert.Equal(10, p.Counters["risky"].Errors);
        Assert.Equal(20, p.Counters["risky"].DroppedByReason["error"]);
        Assert.True(p.Counters["risky"].Balanced);

        var results = await Task.WhenAll(f.State.Trackers.Select(t => t.Completion));
        Assert.Equal(30, results.Length);
        Assert.Equal(10, results.Count(r => !r.Succeeded));
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal("boom", r.Error!.Message));
    }

    [Fact]
    public async Task A_fatal_error_faults_the_pipeline_and_names_the_operator()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":  { "type": "test.source", "batches": 0 },
            "disk": { "type": "test.fatal", "inputs": ["src"] },
            "sink": { "type": "test.sink", "inputs": ["disk"] } } }
        """);
        await p.StartAsync();

        var error = await Assert.ThrowsAsync<PipelineFaultedException>(() => p.Completion);
        Assert.Equal("disk", error.OperatorId);
        Assert.Contains("disk is gone", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_drains_in_flight_batches_and_flushes_stateful_operators()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":  { "type": "test.source", "batches": 0, "spansPerBatch": 5, "track": true },
            "hold": { "type": "test.holding", "inputs": ["src"] },
            "sink": { "type": "test.sink", "inputs": ["hold"] } } }
        """);
        await p.StartAsync();
        await EngineFixture.Eventually(() => p.Counters["hold"].ItemsIn >= 50, "data to reach the holding operator");
        Assert.Equal(0, f.State.ItemsReceivedBy("sink"));

        var drained = await p.StopAsync(TimeSpan.FromMinutes(1));
        await p.Completion;

        Assert.True(drained);
        Assert.Equal(f.State.EmittedBy("src"), f.State.ItemsReceivedBy("sink"));
        Assert.True(p.Counters["hold"].Balanced, p.Counters["hold"].ToString());
        Assert.True(p.Counters["sink"].Balanced, p.Counters["sink"].ToString());
        var results = await Task.WhenAll(f.State.Trackers.Select(t => t.Completion));
        Assert.All(results, r => Assert.True(r.Succeeded));
    }

    [Fact]
    public async Task Stop_honours_the_drain_deadline_and_fails_what_it_abandons()
    {
        var time = new FakeTimeProvider();
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":  { "type": "test.source", "batches": 5, "track": true },
            "sink": { "type": "test.sink", "inputs": ["src"], "gate": "never" } } }
        """, time);
        await p.StartAsync();
        await EngineFixture.Eventually(() => p.Counters["sink"].BatchesIn == 5, "the batches to queue at the stalled sink");

        var stop = p.StopAsync(TimeSpan.FromSeconds(10));
        Assert.False(stop.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(11));

        Assert.False(await stop);
        await p.Completion;
        Assert.True(p.Aborted);
        var results = await Task.WhenAll(f.State.Trackers.Select(t => t.Completion));
        Assert.All(results, r => Assert.False(r.Succeeded));
        Assert.True(p.Counters["sink"].Balanced);
    }

    [Fact]
    public async Task Conservation_counters_balance_on_every_operator_after_a_run()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":   { "type": "test.source", "batches": 40, "spansPerBatch": 4 },
            "drop":  { "type": "test.dropping", "inputs": ["src"] },
            "split": { "type": "test.split", "inputs": ["drop"], "parallelism": 2 },
            "sink":  { "type": "test.sink", "inputs": ["split"] },
            "refused": { "type": "test.sink", "inputs": ["drop.dropped"] } } }
        """);
        await p.StartAsync();
        await p.Completion;

        foreach (var (id, c) in p.Counters)
        {
            if (id != "src")
            {
                Assert.True(c.Balanced, $"{id}: {c}");
            }
        }

        Assert.Equal(160, p.Counters["drop"].ItemsIn);
        Assert.Equal(80, p.Counters["drop"].DroppedByReason["even"]);
        Assert.Equal(20, p.Counters["drop"].DroppedByReason["first-span"]);
        Assert.Equal(60, f.State.ItemsReceivedBy("sink"));
        Assert.Equal(80, f.State.ItemsReceivedBy("refused"));
        Assert.Equal(60, p.Counters["split"].BatchesOut);
    }

    [Fact]
    public async Task Memory_budget_bounds_bytes_in_flight_and_is_returned_when_data_settles()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "memoryLimit": "4KiB", "defaults": { "capacity": 100 },
          "operators": {
            "src":  { "type": "test.source", "batches": 100, "spansPerBatch": 4 },
            "sink": { "type": "test.sink", "inputs": ["src"], "gate": "open" } } }
        """);
        await p.StartAsync();

        await EngineFixture.Eventually(() => p.Memory.InFlightBytes > 3 * 1024, "the budget to fill");
        var blockedAt = p.Counters["src"].BatchesOut;
        Assert.True(blockedAt < 100, "the source should wait for the budget, not for the edge");
        Assert.True(p.Memory.PeakBytes <= 4 * 1024, $"peak {p.Memory.PeakBytes} bytes");

        f.State.Open("open");
        await p.Completion;
        Assert.Equal(400, f.State.ItemsReceivedBy("sink"));
        Assert.Equal(0, p.Memory.InFlightBytes);
        Assert.True(p.Memory.PeakBytes <= 4 * 1024, $"peak {p.Memory.PeakBytes} bytes");
    }

    [Fact]
    public async Task A_pipeline_with_a_memory_limit_guards_the_process_and_one_without_does_not()
    {
        var f = new EngineFixture();
        await using var limited = f.Build("""
        { "memoryLimit": "128MiB",
          "operators": {
            "src":  { "type": "test.source", "batches": 1, "spansPerBatch": 1 },
            "sink": { "type": "test.sink", "inputs": ["src"] } } }
        """, new FakeTimeProvider()); // no tick: the reading stays the one taken when it was built
        await using var unlimited = f.Build("""
        { "operators": {
            "src":  { "type": "test.source", "batches": 1, "spansPerBatch": 1 },
            "sink": { "type": "test.sink", "inputs": ["src"] } } }
        """);

        Assert.True(limited.Memory.IsGuarded);
        Assert.True(limited.Memory.LastReading.HeapBytes > 0, "the guard reads the heap when the pipeline is built");
        Assert.True(limited.Memory.LastReading.WorkingSetBytes > 0);
        Assert.True(limited.Memory.HeapLimitBytes - limited.Memory.LastReading.HeapBytes == 192L * 1024 * 1024, "headroom 1.5 x 128MiB");
        Assert.False(unlimited.Memory.IsGuarded);
        Assert.Equal(default, unlimited.Memory.LastReading);
    }
}
