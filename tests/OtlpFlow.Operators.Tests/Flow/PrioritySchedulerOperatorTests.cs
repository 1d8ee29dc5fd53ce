using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Operators.Tests.Flow;

public sealed class PrioritySchedulerOperatorTests
{
    /// <summary>
    /// A harness whose output edge holds one batch, so that with the output held the sink waits
    /// with one batch and the scheduler's tick waits to hand over the next.
    /// </summary>
    private static Task<OperatorHarness> Create(string agingAfter) =>
        OperatorHarness.CreateAsync(new OperatorRegistry().AddAssembly(typeof(PrioritySchedulerOperator).Assembly), "schedule.priority",
            $$"""{ "agingAfter": "{{agingAfter}}" }""", new OperatorHarnessOptions { OutputCapacity = 1 });

    private static PrioritySchedulerOperator Scheduler(OperatorHarness harness) => (PrioritySchedulerOperator)harness.Operator;

    private static async Task Offer(OperatorHarness harness, string? priority, int index)
    {
        var metadata = priority is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["priority"] = priority };
        var (batch, _) = FlowTestData.Batch(1, firstSpan: index, metadata: metadata);
        _ = harness.SendAsync(batch);
        await harness.WhenIdleAsync();
    }

    /// <summary>
    /// Sends the first two batches and waits until both are on their way out: the first held at the
    /// sink, the second taken by the tick that waits behind it. Later ones stay queued until release.
    /// </summary>
    private static async Task StartSlow(OperatorHarness harness, string? first, string? second)
    {
        harness.Output().Hold();
        await Offer(harness, first, 0);
        await Poll.UntilAsync(() => harness.Output().HeldBatches == 1, "the first batch held at the sink");
        await Offer(harness, second, 1);
        await Poll.UntilAsync(() => Scheduler(harness).Queued.Sum() == 0, "the second batch taken out to wait behind the first");
    }

    private static async Task<string[]> Drain(OperatorHarness harness)
    {
        harness.Output().Release();
        await harness.CompleteAsync();
        harness.AssertConserved();
        return [.. harness.Output().Batches.SelectMany(FlowTestData.Names)];
    }

    [Fact]
    public async Task When_downstream_is_slow_the_high_class_goes_first()
    {
        await using var harness = await Create("0s");
        await StartSlow(harness, "low", "low");
        await Offer(harness, "low", 2);
        await Offer(harness, null, 3);
        await Offer(harness, "high", 4);
        await Offer(harness, "low", 5);
        await Offer(harness, "high", 6);
        Assert.Equal([2, 1, 2], Scheduler(harness).Queued);

        Assert.Equal(["s0", "s1", "s4", "s6", "s3", "s2", "s5"], await Drain(harness));
    }

    [Fact]
    public async Task With_aging_a_low_class_that_waited_long_enough_goes_before_newer_high_data()
    {
        await using var harness = await Create("1s");
        await StartSlow(harness, "high", "high");
        await Offer(harness, "low", 2);
        harness.AdvanceTime(TimeSpan.FromSeconds(3));
        await Offer(harness, "high", 3);
        await Offer(harness, "high", 4);

        Assert.Equal(["s0", "s1", "s2", "s3", "s4"], await Drain(harness));
    }

    [Fact]
    public async Task Without_enough_waiting_the_low_class_stays_behind()
    {
        await using var harness = await Create("1s");
        await StartSlow(harness, "high", "high");
        await Offer(harness, "low", 2);
        harness.AdvanceTime(TimeSpan.FromSeconds(1.5));
        await Offer(harness, "high", 3);

        Assert.Equal(["s0", "s1", "s3", "s2"], await Drain(harness));
    }
}
