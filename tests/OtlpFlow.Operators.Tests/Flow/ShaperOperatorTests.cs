using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Operators.Tests.Flow;

public sealed class ShaperOperatorTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task A_burst_leaves_at_the_target_rate_with_nothing_dropped_and_backpressure_past_the_budget()
    {
        using var output = new GatedOutput(open: true);
        var op = new ShaperOperator(new ShaperOptions { Rate = 100, MaxDelay = TimeSpan.FromSeconds(1) }, TestOperatorContext.Create(timeProvider: _time));
        op.AttachOutput(output);
        await op.StartAsync(CancellationToken.None);

        // Two batches fit the one-second budget (their turns are now and in 0.5 s); the third waits.
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
        Assert.True((await tracker.Completion).Succeeded);
    }
}
