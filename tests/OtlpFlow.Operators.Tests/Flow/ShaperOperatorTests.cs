using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Operators.Tests.Flow;

public sealed class ShaperOperatorTests
{
    // A FakeTimeProvider that counts the timers started on it.
    private readonly SteppingTimeProvider _time = new();

    [Fact]
    public async Task A_burst_leaves_at_the_target_rate_with_nothing_dropped_and_backpressure_past_the_budget()
    {
        using var output = new GatedOutput(open: true);
        var op = new ShaperOperator(new ShaperOptions { Rate = 100, MaxDelay = TimeSpan.FromSeconds(1) }, TestOperatorContext.Create(timeProvider: _time));
        op.AttachOutput(output);
        await op.StartAsync(CancellationToken.None);

        // Two batches fit the one-second budget (their turns are now and in 0.5 s); the third waits.
        // Each call has started its batch's wait (or its own backoff) before it returns, so moving
        // the clock below cannot slip past a wait the operator has yet to start.
        await op.ProcessAsync(FlowTestData.Batch(50, firstSpan: 0).Batch, output, CancellationToken.None);
        await op.ProcessAsync(FlowTestData.Batch(50, firstSpan: 50).Batch, output, CancellationToken.None);
        var third = op.ProcessAsync(FlowTestData.Batch(50, firstSpan: 100).Batch, output, CancellationToken.None).AsTask();
        await FlowTestData.Eventually(() => output.Emitted.Count == 1);
        Assert.False(third.IsCompleted);
        Assert.Equal(1, op.HeldBatches);

        _time.Advance(TimeSpan.FromMilliseconds(500));
        await FlowTestData.Eventually(() => output.Emitted.Count == 2);
        await third;

        _time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.Equal(2, output.Emitted.Count);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await FlowTestData.Eventually(() => output.Emitted.Count == 3);

        await op.FlushAsync(output, CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 150).Select(i => "s" + i), output.Emitted.SelectMany(FlowTestData.Names));
        Assert.Empty(output.Dropped);
    }

    [Fact]
    public async Task A_shaped_batch_keeps_its_request_open_until_it_is_sent()
    {
        using var output = new GatedOutput(open: true);
        var op = new ShaperOperator(new ShaperOptions { Rate = 10, MaxDelay = TimeSpan.FromSeconds(10) }, TestOperatorContext.Create(timeProvider: _time));
        op.AttachOutput(output);
        await op.StartAsync(CancellationToken.None);
        await op.ProcessAsync(FlowTestData.Batch(10).Batch, output, CancellationToken.None);
        var (batch, tracker) = FlowTestData.Batch(10);
        await op.ProcessAsync(batch, output, CancellationToken.None);
        batch.Ack.Deliver(); // what the engine does after the call

        Assert.False(tracker.Completion.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await tracker.Completion.WaitAsync(Poll.DefaultTimeout)).Succeeded);
    }

    [Fact]
    public async Task A_batch_waits_for_its_turn_from_when_it_is_taken_not_from_when_the_pump_reaches_it()
    {
        // A closed gate holds the pump on the first batch: it cannot start the second one's wait.
        using var output = new GatedOutput();
        var op = new ShaperOperator(new ShaperOptions { Rate = 100, MaxDelay = TimeSpan.FromSeconds(1) }, TestOperatorContext.Create(timeProvider: _time));
        op.AttachOutput(output);
        await op.StartAsync(CancellationToken.None);
        await op.ProcessAsync(FlowTestData.Batch(50, firstSpan: 0).Batch, output, CancellationToken.None);
        await op.ProcessAsync(FlowTestData.Batch(50, firstSpan: 50).Batch, output, CancellationToken.None);

        // The second batch's turn is in 0.5 s, and its wait is already running.
        Assert.Equal(1, _time.TimersCreated);
        Assert.Equal(TimeSpan.FromMilliseconds(500), _time.LastDueTime);

        _time.Advance(TimeSpan.FromMilliseconds(500));
        output.Open();
        await op.FlushAsync(output, CancellationToken.None).AsTask().WaitAsync(Poll.DefaultTimeout);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => "s" + i), output.Emitted.SelectMany(FlowTestData.Names));
        Assert.Equal(1, _time.TimersCreated);
    }
}
