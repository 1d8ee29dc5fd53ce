using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Sampling;
using static OtlpFlow.Operators.Tests.Sampling.SamplingTestData;

namespace OtlpFlow.Operators.Tests.Sampling;

public class TailSamplingOperatorTests
{
    /// <summary>Batches go in as objects here, and as encoded bytes in <see cref="TailSamplingOperatorEncodedTests"/>.</summary>
    protected virtual bool Encoded => false;

    private const string KeepErrors = """ "policies": [ { "type": "statusCode", "codes": ["ERROR"] } ] """;

    private static Span Child(ulong trace, int id, Status.Types.StatusCode status = Status.Types.StatusCode.Unset) =>
        Span(TraceId(trace), id: id, parent: 0, status: status);

    private static Span Root(ulong trace, Status.Types.StatusCode status = Status.Types.StatusCode.Unset) =>
        Span(TraceId(trace), id: 0, status: status);

    [Fact]
    public async Task A_trace_is_decided_decision_wait_after_its_first_span()
    {
        await using var kit = NewKit($$"""{ "decisionWait": "10s", {{KeepErrors}} }""");
        await kit.SendAsync(Child(1, 1, Status.Types.StatusCode.Error));

        await kit.AdvanceAsync(TimeSpan.FromSeconds(9.999));
        Assert.Empty(kit.Output.Emitted);

        await kit.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        Assert.Single(kit.SpansOn("out"));
        Assert.Equal(0, kit.Sampler.HeldTraces);
    }

    [Fact]
    public async Task A_trace_is_decided_after_root_wait_once_its_root_arrives()
    {
        await using var kit = NewKit($$"""{ "decisionWait": "30s", "afterRootWait": "2s", {{KeepErrors}} }""");
        await kit.SendAsync(Child(1, 1, Status.Types.StatusCode.Error));
        await kit.AdvanceAsync(TimeSpan.FromSeconds(5));
        await kit.SendAsync(Root(1));

        await kit.AdvanceAsync(TimeSpan.FromSeconds(1.9));
        Assert.Empty(kit.Output.Emitted);

        await kit.AdvanceAsync(TimeSpan.FromSeconds(0.1));
        Assert.Equal(2, kit.SpansOn("out").Count);
    }

    [Fact]
    public async Task Every_kept_trace_is_complete_though_its_spans_came_in_several_batches()
    {
        await using var kit = NewKit($$"""{ "decisionWait": "10s", {{KeepErrors}} }""");
        await kit.SendAsync(Child(1, 1), Child(2, 1));
        await kit.SendAsync(Child(1, 2, Status.Types.StatusCode.Error), Child(2, 2));
        await kit.SendAsync(Root(1), Child(3, 5));

        await kit.AdvanceAsync(TimeSpan.FromSeconds(10));

        var kept = kit.SpansOn("out");
        Assert.Equal(3, kept.Count);
        Assert.All(kept, s => Assert.Equal(TraceId(1), s.TraceId));
        Assert.Single(kit.Output.On("out")); // one batch holds the whole trace
        Assert.Equal(3, kit.Output.Dropped["not-sampled"]);
    }

    [Fact]
    public async Task Late_spans_follow_the_cached_decision_of_their_trace()
    {
        await using var kit = NewKit($$"""{ "decisionWait": "1s", {{KeepErrors}} }""");
        await kit.SendAsync(Root(1, Status.Types.StatusCode.Error), Root(2));
        await kit.AdvanceAsync(TimeSpan.FromSeconds(1));

        await kit.SendAsync(Child(1, 7), Child(2, 7), Child(3, 7));

        Assert.Equal(2, kit.SpansOn("out").Count(s => s.TraceId == TraceId(1)));
        Assert.Equal(2, kit.SpansOn("dropped").Count(s => s.TraceId == TraceId(2)));
        Assert.Equal(1, kit.Sampler.LateSpansKept);
        Assert.Equal(1, kit.Sampler.LateSpansDropped);
        Assert.Equal(1, kit.Sampler.HeldTraces); // trace 3 is new and waits for its own decision
    }

    [Fact]
    public async Task Memory_stays_within_max_bytes_under_a_flood_of_new_traces()
    {
        await using var kit = NewKit("""{ "maxBytes": "64KiB", "decisionWait": "1h", "policies": [ { "type": "always" } ] }""");
        long sent = 0;
        for (var b = 0; b < 200; b++)
        {
            var spans = Enumerable.Range(0, 50).Select(i => Span(TraceId((ulong)((b * 50) + i + 1)), id: 0, attributes: Str("payload", new string('x', 100)))).ToArray();
            await kit.SendAsync(spans);
            sent += spans.Length;
            Assert.InRange(kit.Sampler.HeldBytes, 0, 64 * 1024);
        }

        Assert.True(kit.Sampler.TracesDecidedEarly > 0);
        var heldSpans = kit.Sampler.HeldTraces; // one span per trace
        Assert.Equal(sent, kit.Output.ItemsOut + kit.Output.ItemsDropped + heldSpans);

        await kit.DrainAsync();
        Assert.Equal(sent, kit.Output.ItemsOut);
    }

    [Fact]
    public async Task Max_traces_decides_the_oldest_traces_early()
    {
        await using var kit = NewKit("""{ "maxTraces": 10, "decisionWait": "1h", "policies": [ { "type": "always" } ] }""");
        for (var t = 1; t <= 25; t++)
        {
            await kit.SendAsync(Root((ulong)t));
        }

        Assert.Equal(10, kit.Sampler.HeldTraces);
        Assert.Equal(15, kit.Sampler.TracesDecidedEarly);
        Assert.Equal(Enumerable.Range(1, 15).Select(t => Hex(TraceId((ulong)t))).ToHashSet(), kit.TraceIds("out"));
    }

    [Fact]
    public async Task On_full_block_holds_upstream_until_decisions_free_room()
    {
        await using var kit = NewKit("""{ "maxTraces": 2, "onFull": "block", "decisionWait": "10s", "policies": [ { "type": "always" } ] }""");
        await kit.SendAsync(Root(1));
        await kit.SendAsync(Root(2));

        var third = kit.SendAsync(Root(3)).AsTask();
        Assert.False(third.IsCompleted);
        Assert.Equal(0, kit.Sampler.TracesDecidedEarly);

        // The blocked call decides what falls due itself. No tick here: the engine never ticks an
        // operator during a call, and a tick beside the waking call raced it for the same traces.
        kit.Clock.Advance(TimeSpan.FromSeconds(10));
        await third;

        Assert.Equal(2, kit.SpansOn("out").Count);
        Assert.Equal(1, kit.Sampler.HeldTraces);
    }

    [Fact]
    public async Task A_drain_decides_every_held_trace()
    {
        await using var kit = NewKit($$"""{ {{KeepErrors}} }""");
        await kit.SendAsync(Root(1, Status.Types.StatusCode.Error), Child(1, 1), Root(2), Child(3, 1));
        Assert.Equal(3, kit.Sampler.HeldTraces);

        await kit.DrainAsync();

        Assert.Equal(0, kit.Sampler.HeldTraces);
        Assert.Equal(0, kit.Sampler.HeldBytes);
        Assert.Equal(2, kit.Output.ItemsOut);
        Assert.Equal(2, kit.Output.ItemsDropped);
    }

    [Fact]
    public async Task A_request_is_answered_only_when_all_of_its_traces_are_decided()
    {
        await using var kit = NewKit($$"""{ "decisionWait": "10s", "afterRootWait": "1s", {{KeepErrors}} }""");
        var (share, tracker) = Acknowledgement.Create();
        var batch = TelemetryBatch.Create(Request("svc", Root(1), Child(2, 1)), ack: share);

        await kit.ProcessAsync(batch);
        share.Deliver(); // what the engine does when ProcessAsync returns
        Assert.False(tracker.Completion.IsCompleted);

        await kit.AdvanceAsync(TimeSpan.FromSeconds(1)); // trace 1 (root seen) decided
        Assert.False(tracker.Completion.IsCompleted);
        foreach (var b in kit.Output.Emitted.Select(e => e.Batch))
        {
            b.Ack.Deliver(); // what a downstream sink does
        }

        await kit.AdvanceAsync(TimeSpan.FromSeconds(9)); // trace 2 decided and dropped
        Assert.False(tracker.Completion.IsCompleted);
        foreach (var b in kit.Output.On("dropped"))
        {
            b.Ack.Refuse(b.ItemCount, "not-sampled"); // what the engine does with a drop nobody reads
        }

        var result = await tracker.Completion;
        Assert.True(result.Succeeded);
        Assert.Equal(1, result.RefusedItems);
    }

    [Fact]
    public void Invalid_policies_are_reported_with_their_path()
    {
        var registry = new OperatorRegistry().AddAssembly(typeof(TailSamplingOperator).Assembly);
        var ex = Assert.ThrowsAny<Exception>(() => new PipelineBuilder(registry).Build(PipelineLoader.Parse("""
        { "operators": {
            "gen":  { "type": "generate", "count": 10 },
            "tail": { "type": "sampling.tail", "inputs": ["gen"], "policies": [
                { "type": "statusCode", "codes": ["FAIL"] },
                { "type": "not", "policies": [] } ] } } }
        """, "test.json")));
        Assert.Contains("policies[0].codes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("policies[1].policies", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_a_pipeline_kept_traces_are_whole_and_every_span_is_accounted_for_after_the_drain()
    {
        var store = new CollectedSpans();
        var registry = new OperatorRegistry()
            .AddAssembly(typeof(TailSamplingOperator).Assembly)
            .AddOperator<SpanCollector>("test.collect");
        await using var pipeline = new PipelineBuilder(registry, store).Build(PipelineLoader.Parse("""
        { "operators": {
            "gen":     { "type": "generate", "count": 30000, "batchSize": 500, "seed": 9 },
            "tail":    { "type": "sampling.tail", "inputs": ["gen"], "decisionWait": "1h", "policies": [
                           { "type": "statusCode", "codes": ["ERROR"] },
                           { "type": "probabilistic", "ratio": 0.1 } ] },
            "kept":    { "type": "test.collect", "inputs": ["tail"] },
            "dropped": { "type": "test.collect", "inputs": ["tail.dropped"] },
            "all":     { "type": "test.collect", "inputs": ["gen"] } } }
        """, "test.json"));
        await pipeline.StartAsync();
        await pipeline.Completion;

        var all = store.Of("all");
        var kept = store.Of("kept");
        var dropped = store.Of("dropped");
        Assert.Equal(30000, kept.Count + dropped.Count);
        Assert.True(pipeline.Counters["tail"].Balanced, pipeline.Counters["tail"].ToString());

        var perTrace = all.GroupBy(s => s.TraceId).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(kept.GroupBy(s => s.TraceId), g => Assert.Equal(perTrace[g.Key], g.Count()));
        Assert.Empty(kept.Select(s => s.TraceId).Intersect(dropped.Select(s => s.TraceId)));

        // Every trace with an error is kept.
        var errorTraces = all.Where(s => s.Status?.Code == Status.Types.StatusCode.Error).Select(s => s.TraceId).ToHashSet();
        Assert.NotEmpty(errorTraces);
        Assert.All(errorTraces, t => Assert.Contains(t, kept.Select(s => s.TraceId)));
    }

    private TailSamplingTestKit NewKit(string json) => new(json, Encoded);
}

/// <summary>Every test of <see cref="TailSamplingOperatorTests"/> with encoded input batches.</summary>
public sealed class TailSamplingOperatorEncodedTests : TailSamplingOperatorTests
{
    protected override bool Encoded => true;
}
