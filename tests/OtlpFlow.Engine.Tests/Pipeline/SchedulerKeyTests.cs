using Microsoft.Extensions.DependencyInjection;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Engine.Tests.Pipeline;

/// <summary>Counts what a pipeline hands to <see cref="CountingScheduler"/>.</summary>
public sealed class SchedulerProbe
{
    private int _queued;

    public int Queued => Volatile.Read(ref _queued);

    public void Count() => Interlocked.Increment(ref _queued);
}

/// <summary>Runs tasks on the thread pool, counting them.</summary>
public sealed class CountingScheduler(SchedulerProbe probe) : TaskScheduler
{
    protected override void QueueTask(Task task)
    {
        probe.Count();
        ThreadPool.UnsafeQueueUserWorkItem(_ => TryExecuteTask(task), null);
    }

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

    protected override IEnumerable<Task> GetScheduledTasks() => [];
}

public sealed class SchedulerKeyTests
{
    [Fact]
    public async Task An_operator_with_a_scheduler_key_runs_its_work_on_that_scheduler()
    {
        var probe = new SchedulerProbe();
        var state = new TestState();
        var services = new ServiceCollection().AddSingleton(probe).AddSingleton(state).BuildServiceProvider();
        var registry = new EngineFixture().Registry.AddScheduler("counting", typeof(CountingScheduler));
        await using var pipeline = new PipelineBuilder(registry, services).Build(PipelineLoader.Parse("""
        { "operators": {
            "src":  { "type": "test.source", "batches": 20 },
            "pass": { "type": "test.pass", "inputs": ["src"], "scheduler": "counting" },
            "sink": { "type": "test.sink", "inputs": ["pass"] } } }
        """));
        await pipeline.StartAsync();
        await pipeline.Completion;

        Assert.True(probe.Queued > 0);
        Assert.Equal(80, state.ItemsReceivedBy("sink"));
    }

    [Fact]
    public void A_scheduler_key_that_is_not_a_string_is_reported()
    {
        var errors = new EngineFixture().Validate("""
        { "operators": {
            "src":  { "type": "test.source", "scheduler": 3 },
            "sink": { "type": "test.sink", "inputs": ["src"] } } }
        """);

        Assert.Contains(errors, e => e.OperatorId == "src" && e.Message.StartsWith("'scheduler' must be the name", StringComparison.Ordinal));
    }
}
