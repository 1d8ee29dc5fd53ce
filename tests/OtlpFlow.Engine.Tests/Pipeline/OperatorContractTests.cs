using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Tests.Pipeline;

/// <summary>
/// The operator contract: the engine owns what a call made, runs ticks in turn with calls,
/// counts created items, keeps sinks to delivered-or-failed, and runs nested stages with the
/// same guarantees.
/// </summary>
public sealed class OperatorContractTests
{
    private static async Task<AcknowledgementResult[]> ResultsAsync(EngineFixture f) =>
        await Task.WhenAll(f.State.Trackers.Select(t => t.Completion));

    [Fact]
    public async Task A_derived_batch_the_call_never_emitted_is_settled_when_the_call_ends_and_counted_as_dropped()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":  { "type": "test.source", "batches": 5, "spansPerBatch": 3, "track": true },
            "bug":  { "type": "test.deriveAndForget", "inputs": ["src"] },
            "sink": { "type": "test.sink", "inputs": ["bug"] } } }
        """);
        await p.StartAsync();
        await p.Completion;

        // Before the engine owned derived batches, these requests were never answered.
        var results = await ResultsAsync(f);
        Assert.Equal(5, results.Length);
        Assert.All(results, r => Assert.Equal(3, r.RefusedItems));
        Assert.Equal(15, p.Counters["bug"].DroppedByReason["unemitted"]);
        Assert.True(p.Counters["bug"].Balanced);
    }

    [Fact]
    public async Task A_derived_batch_of_a_call_that_throws_fails_with_the_calls_exception()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":  { "type": "test.source", "batches": 3, "spansPerBatch": 2, "track": true },
            "bug":  { "type": "test.deriveThenThrow", "inputs": ["src"] },
            "sink": { "type": "test.sink", "inputs": ["bug"] } } }
        """);
        await p.StartAsync();
        await p.Completion;

        var results = await ResultsAsync(f);
        Assert.All(results, r =>
        {
            Assert.False(r.Succeeded);
            Assert.Equal("lost its way after deriving", r.Error!.Message);
        });
        Assert.Equal(3, p.Counters["bug"].Errors);
    }

    [Fact]
    public async Task A_retained_batch_never_emitted_fails_when_the_operator_ends_so_its_client_hears()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":  { "type": "test.source", "batches": 4, "spansPerBatch": 2, "track": true },
            "keep": { "type": "test.keeper", "inputs": ["src"] },
            "sink": { "type": "test.sink", "inputs": ["keep"] } } }
        """);
        await p.StartAsync();
        await p.Completion;

        var results = await ResultsAsync(f);
        Assert.All(results, r => Assert.Contains("ended while still holding", r.Error!.Message, StringComparison.Ordinal));
        Assert.Equal(8, p.Counters["keep"].DroppedByReason["abandoned"]);
        Assert.True(p.Counters["keep"].Balanced);
    }

    [Fact]
    public async Task Ticks_run_in_turn_with_calls_a_failing_tick_is_counted_and_the_ticks_stop_before_the_flush()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":  { "type": "test.source", "batches": 50, "spansPerBatch": 2, "track": true, "holdUntil": "end" },
            "tick": { "type": "test.ticker", "inputs": ["src"], "throwOnTick": 1 },
            "sink": { "type": "test.sink", "inputs": ["tick"] } } }
        """, time);
        await p.StartAsync();

        // The first tick throws: counted, and the ticks go on.
        // Every call done (BatchesIn counts a batch when it is offered, before its call runs).
        await EngineFixture.Eventually(() => f.Contract.Calls.Count(c => c == "process") == 50, "the ticker to take every batch");
        time.Advance(TimeSpan.FromSeconds(1));
        await EngineFixture.Eventually(() => p.Counters["tick"].TickErrors == 1, "the failing tick");
        Assert.Equal(0, f.State.ItemsReceivedBy("sink"));

        // The next tick sends everything held.
        var next = f.Contract.NextTick;
        time.Advance(TimeSpan.FromSeconds(1));
        await next;
        await EngineFixture.Eventually(() => f.State.ItemsReceivedBy("sink") == 100, "the held batches to arrive");

        f.State.Open("end");
        await p.Completion;
        Assert.False(f.Contract.Overlapped, "a tick ran at the same time as a call");
        Assert.Equal("flush", f.Contract.Calls.Last());
        Assert.DoesNotContain("tick-after-flush", f.Contract.Calls);
        Assert.All(await ResultsAsync(f), r => Assert.True(r.Succeeded));
        Assert.True(p.Counters["tick"].Balanced, p.Counters["tick"].ToString());
    }

    [Fact]
    public async Task Items_an_operator_makes_balance_when_counted_as_created_and_are_flagged_when_not()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":     { "type": "test.source", "batches": 10, "spansPerBatch": 100 },
            "honest":  { "type": "test.duplicator", "inputs": ["src"], "countCreated": true },
            "sloppy":  { "type": "test.duplicator", "inputs": ["src"] },
            "sink":    { "type": "test.sink", "inputs": ["honest", "sloppy"] } } }
        """);
        var events = new ConcurrentQueue<PipelineEvent>();
        using var subscription = p.Events.Subscribe(new Collect(events));
        await p.StartAsync();
        await p.Completion;

        Assert.Equal(1000, p.Counters["honest"].ItemsCreated);
        Assert.True(p.Counters["honest"].Balanced);
        Assert.False(p.Counters["sloppy"].Balanced);
        Assert.Equal(1000, p.Counters["sloppy"].Imbalance);
        var flagged = Assert.Single(events, e => e.Kind == PipelineEventKind.Unbalanced);
        Assert.Equal("sloppy", flagged.OperatorId);
        Assert.Contains("in 1000 + returned 0 + created 0 != out 2000 + dropped 0 (+1000 items unaccounted)", flagged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sink_that_fails_permanently_counts_the_batch_dropped_not_delivered_and_its_client_hears_permanent()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":  { "type": "test.source", "batches": 4, "spansPerBatch": 5, "boomEvery": 2, "track": true },
            "sink": { "type": "test.rejecting", "inputs": ["src"] } } }
        """);
        await p.StartAsync();
        await p.Completion;

        var sink = p.Counters["sink"];
        Assert.Equal(20, sink.ItemsIn);
        Assert.Equal(10, sink.ItemsOut);
        Assert.Equal(10, sink.DroppedByReason["rejected"]);
        Assert.True(sink.Balanced);
        var failed = (await ResultsAsync(f)).Where(r => !r.Succeeded).ToList();
        Assert.Equal(2, failed.Count);
        Assert.All(failed, r => Assert.True(PermanentFailureException.IsPermanent(r.Error)));
    }

    [Fact]
    public async Task An_observed_batch_reports_its_outcome_downstream_to_the_operator_and_to_its_clients()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":  { "type": "test.source", "batches": 4, "spansPerBatch": 5, "boomEvery": 2, "track": true },
            "obs":  { "type": "test.observer", "inputs": ["src"] },
            "sink": { "type": "test.rejecting", "inputs": ["obs"] } } }
        """);
        await p.StartAsync();
        await p.Completion;

        var outcomes = f.Contract.Outcomes.ToList();
        Assert.Equal(4, outcomes.Count);
        Assert.Equal(2, outcomes.Count(o => o.Succeeded));
        Assert.All(outcomes.Where(o => !o.Succeeded), o => Assert.True(PermanentFailureException.IsPermanent(o.Error)));
        Assert.Equal(2, (await ResultsAsync(f)).Count(r => !r.Succeeded));
        Assert.True(p.Counters["obs"].Balanced, p.Counters["obs"].ToString());
    }

    [Fact]
    public async Task A_server_fed_source_gets_its_output_then_stops_accepting_on_stop_and_what_it_took_is_delivered()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "srv":  { "type": "test.server" },
            "sink": { "type": "test.sink", "inputs": ["srv"] } } }
        """);
        for (var i = 0; i < 5; i++)
        {
            f.Contract.Server.Writer.TryWrite(TestData.Traces(3, seq: i, name: "req"));
        }

        await p.StartAsync();
        await EngineFixture.Eventually(() => f.State.ItemsReceivedBy("sink") == 15, "the requests to arrive");
        Assert.True(await p.StopAsync());

        Assert.Equal(["accept", "stop-accepting"], f.Contract.Calls);
        Assert.Equal(15, p.Counters["srv"].ItemsCreated);
        Assert.All(p.Counters.Values, c => Assert.True(c.Balanced, c.ToString()));
    }

    [Fact]
    public async Task A_nested_stage_fails_only_the_batch_its_call_threw_on()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":    { "type": "test.source", "batches": 9, "spansPerBatch": 2, "boomEvery": 3, "track": true },
            "staged": { "type": "test.staged", "inputs": ["src"], "stage": { "type": "test.throwing" } },
            "sink":   { "type": "test.sink", "inputs": ["staged"] } } }
        """);
        await p.StartAsync();
        await p.Completion;

        Assert.Equal(12, f.State.ItemsReceivedBy("sink"));
        var results = await ResultsAsync(f);
        Assert.Equal(3, results.Count(r => !r.Succeeded));
        Assert.Equal(3, p.Counters["staged"].Errors);
        Assert.True(p.Counters["staged"].Balanced, p.Counters["staged"].ToString());
    }

    [Fact]
    public async Task A_nested_stage_gets_its_ticks_and_they_stop_before_its_flush()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":    { "type": "test.source", "batches": 10, "spansPerBatch": 2, "track": true, "holdUntil": "end" },
            "staged": { "type": "test.staged", "inputs": ["src"], "stage": { "type": "test.ticker" } },
            "sink":   { "type": "test.sink", "inputs": ["staged"] } } }
        """, time);
        await p.StartAsync();
        await EngineFixture.Eventually(() => f.Contract.Calls.Count(c => c == "process") == 10, "the stage to take every batch");
        Assert.Equal(0, f.State.ItemsReceivedBy("sink"));

        // Before stages had ticks, this data waited for the drain.
        time.Advance(TimeSpan.FromSeconds(1));
        await EngineFixture.Eventually(() => f.State.ItemsReceivedBy("sink") == 20, "the stage's tick to send what it holds");

        f.State.Open("end");
        await p.Completion;
        Assert.Equal("flush", f.Contract.Calls.Last());
        Assert.DoesNotContain("tick-after-flush", f.Contract.Calls);
        Assert.All(await ResultsAsync(f), r => Assert.True(r.Succeeded));
    }

    [Fact]
    public async Task A_fault_in_a_nested_stage_stops_the_pipeline_and_names_the_operator()
    {
        var f = new EngineFixture();
        await using var p = f.Build("""
        { "operators": {
            "src":    { "type": "test.source", "batches": 3 },
            "staged": { "type": "test.staged", "inputs": ["src"], "stage": { "type": "test.fatal" } },
            "sink":   { "type": "test.sink", "inputs": ["staged"] } } }
        """);
        await p.StartAsync();
        var error = await Assert.ThrowsAsync<PipelineFaultedException>(() => p.Completion);
        Assert.Equal("staged", error.OperatorId);
    }

    [Fact]
    public void A_nested_stage_of_an_unknown_type_is_reported_by_validation()
    {
        var errors = new EngineFixture().Validate("""
        { "operators": {
            "src":    { "type": "test.source" },
            "staged": { "type": "test.staged", "inputs": ["src"], "stage": { "type": "test.pas" } },
            "sink":   { "type": "test.sink", "inputs": ["staged"] } } }
        """);
        var error = Assert.Single(errors);
        Assert.Contains("'test.pas' is unknown (did you mean 'test.pass'?)", error.Message, StringComparison.Ordinal);
    }

    private sealed class Collect(ConcurrentQueue<PipelineEvent> events) : IObserver<PipelineEvent>
    {
        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void OnNext(PipelineEvent value) => events.Enqueue(value);
    }
}
