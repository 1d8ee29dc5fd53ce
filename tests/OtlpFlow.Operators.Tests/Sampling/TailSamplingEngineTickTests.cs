using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Sampling;
using static OtlpFlow.Operators.Tests.Sampling.SamplingTestData;

namespace OtlpFlow.Operators.Tests.Sampling;

/// <summary>
/// The tail sampler inside the engine: its decisions come from the ticks it asks for
/// (<c>RequestTick</c> at the earliest held trace's due time), not from a test calling TickAsync.
/// </summary>
public sealed class TailSamplingEngineTickTests
{
    [Fact]
    public async Task A_held_trace_is_decided_by_the_tick_the_sampler_asked_for_at_its_due_time()
    {
        await using var harness = await OperatorHarness.CreateAsync(
            [typeof(TailSamplingOperator).Assembly], "sampling.tail", """{ "decisionWait": "10s", "afterRootWait": "1h", "policies": [ { "type": "always" } ] }""");

        var ack = harness.SendAsync(Request("svc", Span(TraceId(1), id: 0), Span(TraceId(1), id: 1, parent: 0)));
        await harness.WhenIdleAsync();
        harness.AdvanceTime(TimeSpan.FromSeconds(9));
        Assert.Empty(harness.Output().Batches);
        Assert.False(ack.IsCompleted, "the trace was answered before its decision");

        // Due now: no one but the engine runs the tick.
        harness.AdvanceTime(TimeSpan.FromSeconds(1));
        await Poll.UntilAsync(() => harness.Output().Items == 2, "the decision at the trace's due time");
        Assert.True((await ack).Succeeded);

        await harness.CompleteAsync();
        harness.AssertConserved();
    }

    [Fact]
    public async Task A_trace_whose_spans_arrived_in_the_tier_earlier_waits_only_the_rest_of_decisionWait()
    {
        await using var harness = await OperatorHarness.CreateAsync(
            [typeof(TailSamplingOperator).Assembly], "sampling.tail", """{ "decisionWait": "10s", "afterRootWait": "1h", "policies": [ { "type": "always" } ] }""");

        // Another instance received these spans 7 s ago and sent them on (a member that died, a handover).
        var earlier = Engine.Telemetry.TelemetryBatch.Create(
            Request("svc", Span(TraceId(2), id: 1, parent: 0)),
            Engine.Telemetry.BatchContext.At(harness.TimeProvider.GetUtcNow()).With(new ArrivedEarlier(TimeSpan.FromSeconds(7))));
        var fresh = harness.SendAsync(Request("svc", Span(TraceId(3), id: 1, parent: 0)));
        var late = harness.SendAsync(earlier);
        await harness.WhenIdleAsync();
        harness.AdvanceTime(TimeSpan.FromSeconds(2));
        Assert.False(late.IsCompleted, "decided before the rest of its wait");

        harness.AdvanceTime(TimeSpan.FromSeconds(1));
        await Poll.UntilAsync(() => late.IsCompleted, "the decision 3 s after it arrived (10 s after the tier received it)");
        Assert.True((await late).Succeeded);
        Assert.False(fresh.IsCompleted, "the fresh trace was decided with the one that arrived earlier");
        Assert.Equal(1, harness.Output().Items);

        harness.AdvanceTime(TimeSpan.FromSeconds(7));
        Assert.True((await fresh).Succeeded);
        await harness.CompleteAsync();
        harness.AssertConserved();
    }

    [Fact]
    public async Task An_older_part_of_a_held_trace_brings_its_decision_forward_to_decisionWait_after_the_older_arrival()
    {
        await using var harness = await OperatorHarness.CreateAsync(
            [typeof(TailSamplingOperator).Assembly], "sampling.tail", """{ "decisionWait": "10s", "afterRootWait": "1h", "policies": [ { "type": "always" } ] }""");

        // A new span of the trace comes first; then one the tier received 9 s ago (sent on from a
        // member that died after holding it): the trace started at least 9 s ago.
        var fresh = harness.SendAsync(Request("svc", Span(TraceId(4), id: 2, parent: 0)));
        await harness.WhenIdleAsync();
        var older = harness.SendAsync(Engine.Telemetry.TelemetryBatch.Create(
            Request("svc", Span(TraceId(4), id: 1, parent: 0)),
            Engine.Telemetry.BatchContext.At(harness.TimeProvider.GetUtcNow()).With(new ArrivedEarlier(TimeSpan.FromSeconds(9)))));
        await harness.WhenIdleAsync();
        Assert.False(older.IsCompleted, "decided before decisionWait after the older arrival");

        harness.AdvanceTime(TimeSpan.FromSeconds(1));
        await Poll.UntilAsync(() => older.IsCompleted && fresh.IsCompleted, "the decision 10 s after the tier received the older part");
        Assert.True((await older).Succeeded);
        Assert.True((await fresh).Succeeded);
        Assert.Equal(2, harness.Output().Items);

        await harness.CompleteAsync();
        harness.AssertConserved();
    }
}
