using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Generator;

namespace OtlpFlow.Operators.Tests.Generator;

public class GeneratorPacingTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Batches_appear_on_schedule_as_the_clock_advances()
    {
        var time = new TimerCountingTimeProvider(Start);
        var output = new RecordingOutput();
        var generator = new GeneratorOperator(new GeneratorOptions { Rate = 1000, BatchSize = 100, Count = 500 }, TestOperatorContext.Create(timeProvider: time));

        var run = generator.RunAsync(output, CancellationToken.None);

        // 100 items at 1000/s: batch k is due k × 100 ms after the start; the first goes at once.
        await GeneratorRun.WaitForAsync(() => output.Emitted.Count == 1, "the first batch");
        for (var k = 1; k < 5; k++)
        {
            await GeneratorRun.WaitForAsync(() => time.TimersCreated == k, $"the generator to wait for batch {k}");
            time.Advance(TimeSpan.FromMilliseconds(99));
            Assert.Equal(k, output.Emitted.Count);

            time.Advance(TimeSpan.FromMilliseconds(1));
            await GeneratorRun.WaitForAsync(() => output.Emitted.Count == k + 1, $"batch {k}");
        }

        await run.WaitAsync(GeneratorRun.Deadline);
        Assert.Equal([100, 100, 100, 100, 100], output.On().Select(b => b.ItemCount));
        Assert.Equal(4, time.TimersCreated);
    }

    [Fact]
    public async Task A_late_wake_up_is_made_up_instead_of_accumulated()
    {
        var time = new TimerCountingTimeProvider(Start);
        var output = new RecordingOutput();
        var generator = new GeneratorOperator(new GeneratorOptions { Rate = 1000, BatchSize = 100, Count = 500 }, TestOperatorContext.Create(timeProvider: time));

        var run = generator.RunAsync(output, CancellationToken.None);
        await GeneratorRun.WaitForAsync(() => time.TimersCreated == 1, "the generator to wait for batch 1");

        // Waking 250 ms late: batches 1 and 2 are overdue and go at once; batch 3 keeps its own time.
        time.Advance(TimeSpan.FromMilliseconds(250));
        await GeneratorRun.WaitForAsync(() => time.TimersCreated == 2, "the generator to wait for batch 3");
        Assert.Equal(3, output.Emitted.Count);

        time.Advance(TimeSpan.FromMilliseconds(50));
        await GeneratorRun.WaitForAsync(() => output.Emitted.Count == 4, "batch 3 at 300 ms");
        await GeneratorRun.WaitForAsync(() => time.TimersCreated == 3, "the generator to wait for batch 4");
        time.Advance(TimeSpan.FromMilliseconds(100));

        await run.WaitAsync(GeneratorRun.Deadline);
        Assert.Equal(500, output.ItemsOut);
    }

    [Fact]
    public async Task Stopping_ends_an_unbounded_generator()
    {
        using var stop = new CancellationTokenSource();
        var output = new RecordingOutput();
        var generator = new GeneratorOperator(new GeneratorOptions { BatchSize = 10 }, TestOperatorContext.Create());

        var run = generator.RunAsync(output, stop.Token);
        await GeneratorRun.WaitForAsync(() => output.Emitted.Count >= 3, "a few batches");
        stop.Cancel();

        await Completion(run).WaitAsync(GeneratorRun.Deadline);
        var emitted = output.Emitted.Count;
        Assert.Equal(emitted * 10, output.ItemsOut);
    }

    [Fact]
    public async Task Stopping_ends_a_generator_waiting_for_its_next_batch()
    {
        using var stop = new CancellationTokenSource();
        var time = new TimerCountingTimeProvider(Start);
        var output = new RecordingOutput();
        var generator = new GeneratorOperator(new GeneratorOptions { Rate = 1, BatchSize = 10 }, TestOperatorContext.Create(timeProvider: time));

        var run = generator.RunAsync(output, stop.Token);
        await GeneratorRun.WaitForAsync(() => time.TimersCreated == 1, "the generator to wait");
        stop.Cancel();

        await Completion(run).WaitAsync(GeneratorRun.Deadline);
        Assert.Single(output.Emitted);
    }

    [Fact]
    public async Task RunAsync_returns_to_its_caller_before_generating()
    {
        using var stop = new CancellationTokenSource();
        var generator = new GeneratorOperator(new GeneratorOptions(), TestOperatorContext.Create());

        // An unbounded generator with an output that never waits: if RunAsync generated on the
        // caller's thread this call would not return.
        var run = generator.RunAsync(new RecordingOutput(), stop.Token);
        stop.Cancel();

        await Completion(run).WaitAsync(GeneratorRun.Deadline);
    }

    /// <summary>A stopped source may return or throw OperationCanceledException; both are a clean end.</summary>
    private static async Task Completion(Task run)
    {
        try
        {
            await run;
        }
        catch (OperationCanceledException)
        {
        }
    }
}
