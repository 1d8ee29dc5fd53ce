using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Operators.Tests.Flow;

public sealed class ShaperOperatorTests
{
    private readonly WaitCountingTimeProvider _time = new();

    private Task<OperatorHarness> Create(string options) =>
        OperatorHarness.CreateAsync([typeof(ShaperOperator).Assembly], "flow.shaper", options, new OperatorHarnessOptions { TimeProvider = _time });

    [Fact]
    public async Task A_burst_leaves_at_the_target_rate_with_nothing_dropped_and_backpressure_past_the_budget()
    {
        await using var harness = await Create("""{ "rate": 100, "maxDelay": "1s" }""");
        var shaper = (ShaperOperator)harness.Operator;

        // Two batches fit the one-second budget (their turns are now and in 0.5 s); the third does
        // not: its call waits for room, so the shaper takes nothing more meanwhile.
        var first = harness.SendAsync(FlowTestData.Batch(50, firstSpan: 0).Batch);
        var second = harness.SendAsync(FlowTestData.Batch(50, firstSpan: 50).Batch);
        var third = harness.SendAsync(FlowTestData.Batch(50, firstSpan: 100).Batch);
        await Poll.UntilAsync(() => harness.Output().Batches.Count == 1, "the first batch, at once");

        // The third call sent the first batch (no tick runs during a call) and waits 0.5 s for room.
        // Time moves only once that wait has started, so it cannot slip past it.
        await Poll.UntilAsync(() => _time.OperatorWaits(TimeSpan.FromMilliseconds(500)) == 1, $"the third call to wait for room ({_time})");
        Assert.True((await first).Succeeded);
        Assert.False(third.IsCompleted);
        Assert.Equal(1, shaper.HeldBatches);

        // At 0.5 s the third call, which holds the operator's turn, sends the second batch itself
        // and takes the third, whose turn is at 1 s.
        harness.AdvanceTime(TimeSpan.FromMilliseconds(500));
        await Poll.UntilAsync(() => harness.Output().Batches.Count == 2, "the second batch at 0.5 s");
        await harness.WhenIdleAsync();
        Assert.True((await second).Succeeded);

        await Poll.UntilAsync(() => _time.Waits(TimeSpan.FromMilliseconds(500)) == 1, "the tick for the third batch's turn");
        harness.AdvanceTime(TimeSpan.FromMilliseconds(499));
        Assert.Equal(2, harness.Output().Batches.Count);
        Assert.False(third.IsCompleted);
        harness.AdvanceTime(TimeSpan.FromMilliseconds(1));
        await Poll.UntilAsync(() => harness.Output().Batches.Count == 3, "the third batch at 1 s");
        Assert.True((await third).Succeeded);

        await harness.CompleteAsync();
        Assert.Equal(Enumerable.Range(0, 150).Select(i => "s" + i), harness.Output().Batches.SelectMany(FlowTestData.Names));
        Assert.Empty(harness.Output("dropped").Batches);
        Assert.Equal(0, harness.Counters.ItemsDropped);
        harness.AssertConserved();
    }

    [Fact]
    public async Task A_shaped_batch_keeps_its_request_open_until_it_is_sent()
    {
        await using var harness = await Create("""{ "rate": 10, "maxDelay": "10s" }""");
        Assert.True((await harness.SendAsync(FlowTestData.Batch(10).Batch)).Succeeded);
        var second = harness.SendAsync(FlowTestData.Batch(10).Batch);
        await harness.WhenIdleAsync();

        Assert.False(second.IsCompleted); // taken and held for its turn, in 1 s
        Assert.Single(harness.Output().Batches);
        await Poll.UntilAsync(() => _time.Waits(TimeSpan.FromSeconds(1)) == 1, "the tick for the second batch's turn");
        harness.AdvanceTime(TimeSpan.FromSeconds(1));
        Assert.True((await second.WaitAsync(Poll.DefaultTimeout)).Succeeded);

        await harness.CompleteAsync();
        harness.AssertConserved();
    }

    [Fact]
    public async Task A_batch_waits_for_its_turn_from_when_it_is_taken_not_from_when_the_one_before_gets_through()
    {
        // A held output keeps the first batch from getting through.
        await using var harness = await Create("""{ "rate": 100, "maxDelay": "1s" }""");
        harness.Output().Hold();
        var acks = new[]
        {
            harness.SendAsync(FlowTestData.Batch(50, firstSpan: 0).Batch),
            harness.SendAsync(FlowTestData.Batch(50, firstSpan: 50).Batch),
        };
        await harness.WhenIdleAsync();
        await Poll.UntilAsync(() => harness.Output().HeldBatches == 1, "the first batch at the held output");

        // The second batch's turn is 0.5 s after it was taken: once that time has passed and the
        // output takes batches again, it goes through with no more waiting.
        await Poll.UntilAsync(() => _time.Waits(TimeSpan.FromMilliseconds(500)) == 1, "the tick for the second batch's turn");
        harness.AdvanceTime(TimeSpan.FromMilliseconds(500));
        harness.Output().Release();
        await Poll.UntilAsync(() => harness.Output().Batches.Count == 2, "both batches, with no more time passing");
        Assert.All(await Task.WhenAll(acks), r => Assert.True(r.Succeeded));

        await harness.CompleteAsync();
        Assert.Equal(Enumerable.Range(0, 100).Select(i => "s" + i), harness.Output().Batches.SelectMany(FlowTestData.Names));
        harness.AssertConserved();
    }

    /// <summary>
    /// A fake clock that counts the waits pending on it by due time, so that a test moves time only
    /// once the wait it means to end has started: the engine's tick waits, and the operator's own.
    /// </summary>
    private sealed class WaitCountingTimeProvider : FakeTimeProvider
    {
        private readonly Lock _lock = new();
        private readonly List<CountedTimer> _pending = [];

        /// <summary>Pending waits of <paramref name="dueTime"/>, whoever started them.</summary>
        public int Waits(TimeSpan dueTime)
        {
            lock (_lock)
            {
                return _pending.Count(t => t.DueTime == dueTime);
            }
        }

        /// <summary>Pending waits of <paramref name="dueTime"/> started by the shaper itself (in its call, through FlowDelay).</summary>
        public int OperatorWaits(TimeSpan dueTime)
        {
            lock (_lock)
            {
                return _pending.Count(t => t.DueTime == dueTime && t.ByOperator);
            }
        }

        public override string ToString()
        {
            lock (_lock)
            {
                return "pending waits: " + string.Join(", ", _pending.Select(t => $"{t.DueTime.TotalMilliseconds} ms{(t.ByOperator ? " (operator)" : string.Empty)}"));
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            // The shaper waits through FlowDelay; the engine's tick loop calls Task.Delay itself, at
            // times inline from the shaper's RequestTick, so the operator's name alone would not tell.
            var byOperator = Environment.StackTrace.Contains("FlowDelay.WaitAsync", StringComparison.Ordinal);
            var counted = new CountedTimer(this, dueTime, byOperator);
            lock (_lock)
            {
                _pending.Add(counted);
            }

            counted.Inner = base.CreateTimer(s => { Remove(counted); callback(s); }, state, dueTime, period);
            return counted;
        }

        private void Remove(CountedTimer timer)
        {
            lock (_lock)
            {
                _pending.Remove(timer);
            }
        }

        private sealed class CountedTimer(WaitCountingTimeProvider owner, TimeSpan dueTime, bool byOperator) : ITimer
        {
            public TimeSpan DueTime { get; } = dueTime;

            public bool ByOperator { get; } = byOperator;

            public ITimer? Inner { get; set; }

            public bool Change(TimeSpan dueTime, TimeSpan period) => Inner!.Change(dueTime, period);

            public void Dispose()
            {
                owner.Remove(this);
                Inner?.Dispose();
            }

            public ValueTask DisposeAsync()
            {
                owner.Remove(this);
                return Inner?.DisposeAsync() ?? ValueTask.CompletedTask;
            }
        }
    }
}
