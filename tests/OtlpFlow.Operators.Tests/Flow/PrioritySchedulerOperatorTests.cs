using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Operators.Tests.Flow;

public sealed class PrioritySchedulerOperatorTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly GatedOutput _output = new();

    public void Dispose() => _output.Dispose();

    private async Task<PrioritySchedulerOperator> Start(TimeSpan agingAfter)
    {
        var op = new PrioritySchedulerOperator(new PrioritySchedulerOptions { AgingAfter = agingAfter }, TestOperatorContext.Create(timeProvider: _time));
        op.AttachOutput(_output);
        await op.StartAsync(CancellationToken.None);
        return op;
    }

    private async Task Offer(PrioritySchedulerOperator op, string? priority, int index)
    {
        var metadata = priority is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["priority"] = priority };
        var (batch, _) = FlowTestData.Batch(1, firstSpan: index, metadata: metadata);
        await op.ProcessAsync(batch, _output, CancellationToken.None);
        batch.Ack.Deliver();
    }

    private IEnumerable<string> Order() => _output.Emitted.SelectMany(FlowTestData.Names);

    [Fact]
    public async Task When_downstream_is_slow_the_high_class_goes_first()
    {
        var op = await Start(TimeSpan.Zero);
        await Offer(op, "low", 0);
        await FlowTestData.Eventually(() => _output.Waiting == 1); // already on its way
        await Offer(op, "low", 1);
        await Offer(op, null, 2);
        await Offer(op, "high", 3);
        await Offer(op, "low", 4);
        await Offer(op, "high", 5);
        Assert.Equal([2, 1, 2], op.Queued);

        _output.Open();
        await op.FlushAsync(_output, CancellationToken.None);
        Assert.Equal(["s0", "s3", "s5", "s2", "s1", "s4"], Order());
    }

    [Fact]
    public async Task With_aging_a_low_class_that_waited_long_enough_goes_before_newer_high_data()
    {
        var op = await Start(TimeSpan.FromSeconds(1));
        await Offer(op, "high", 0);
        await FlowTestData.Eventually(() => _output.Waiting == 1);
        await Offer(op, "low", 1);
        _time.Advance(TimeSpan.FromSeconds(3));
        await Offer(op, "high", 2);
        await Offer(op, "high", 3);

        _output.Open();
        await op.FlushAsync(_output, CancellationToken.None);
        Assert.Equal(["s0", "s1", "s2", "s3"], Order());
    }

    [Fact]
    public async Task Without_enough_waiting_the_low_class_stays_behind()
    {
        var op = await Start(TimeSpan.FromSeconds(1));
        await Offer(op, "high", 0);
        await FlowTestData.Eventually(() => _output.Waiting == 1);
        await Offer(op, "low", 1);
        _time.Advance(TimeSpan.FromSeconds(1.5));
        await Offer(op, "high", 2);

        _output.Open();
        await op.FlushAsync(_output, CancellationToken.None);
        Assert.Equal(["s0", "s2", "s1"], Order());
    }
}
